"""Configuration is read from the environment when an app is configured, not when modules are imported."""

from __future__ import annotations

from erp_core.config import load_config


def test_the_instance_directory_is_read_each_time_the_configuration_is_built(tmp_path, monkeypatch):
    # given the embedded mode: no database URL and no secret key in the environment
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("WMS_INSTANCE_DIR", str(first))
    before = load_config()
    # when WMS_INSTANCE_DIR changes and the configuration is built again
    monkeypatch.setenv("WMS_INSTANCE_DIR", str(second))
    after = load_config()
    # then each configuration keeps its database and its secret key in its own directory
    assert before["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{first / 'wms.db'}"
    assert after["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{second / 'wms.db'}"
    assert (first / "secret_key").read_text().strip() == before["SECRET_KEY"]
    assert (second / "secret_key").read_text().strip() == after["SECRET_KEY"]
