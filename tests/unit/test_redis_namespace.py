"""Two installations on one Redis server: the job queue, the Socket.IO channel and the login limit
of each are named after its REDIS_NAMESPACE, so neither takes the other's jobs, events or counts."""

from __future__ import annotations

import pytest

from erp_core.config import load_config
from erp_core.jobs.queue import make_huey, queue_settings
from wms.realtime import socketio_channel


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WMS_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("REDIS_NAMESPACE", raising=False)
    return monkeypatch


def test_an_installation_without_a_namespace_uses_wms_everywhere(environment):
    config = load_config()
    assert config["REDIS_NAMESPACE"] == "wms" and config["RATELIMIT_KEY_PREFIX"] == "wms"
    assert socketio_channel(config) == "wms:socketio"
    assert make_huey(queue_settings(config)).storage.name == "wms"


def test_the_queue_the_event_channel_and_the_login_limit_are_named_after_the_namespace(environment):
    environment.setenv("REDIS_NAMESPACE", "shop2")
    config = load_config()
    queue = make_huey(queue_settings(config))
    assert queue.storage.name == "shop2" and queue.storage.queue_key != make_huey(
        queue_settings({**config, "REDIS_NAMESPACE": "wms"})).storage.queue_key
    assert socketio_channel(config) == "shop2:socketio"
    assert config["RATELIMIT_KEY_PREFIX"] == "shop2" and config["RATELIMIT_STORAGE_URI"] == config["REDIS_URL"]
