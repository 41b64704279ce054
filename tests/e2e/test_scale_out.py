"""Scale-out: two gunicorn servers (A and B, as the README's production launch runs them), one job
consumer, PostgreSQL and Redis — all real processes sharing one database of their own.

A board connected to A hears the scan a picker posts to B (Socket.IO through Redis); an import
uploaded on A is done by the consumer (the queue in Redis) and seen done, its orders listed, on B;
failed logins counted on A count on B (the login limit in Redis). The servers take WebSockets only
(SOCKETIO_TRANSPORTS=websocket), so no request of a connection can land on the other process.

The cluster gets a fresh PostgreSQL database (created and dropped here) and its own Redis namespace,
so it shares nothing with other test runs on the same servers. Runs in the PostgreSQL pass of the
suite; skipped locally when PostgreSQL or Redis does not answer, failed under CI=true.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import uuid

import pytest
import requests

from tests.conftest import BACKEND, PASSWORD, csrf_from, fresh_postgres_database, service_unavailable
from tests.integration.jobs_helpers import orders_csv
from tests.processes import (
    ROOT,
    Process,
    child_env,
    consumer_process,
    free_port,
    server_process,
    wait_for,
    wait_until_answering,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(BACKEND != "postgresql", reason="needs PostgreSQL: runs in the PostgreSQL pass")]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN_LIMIT = 3


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        service_unavailable(f"Redis at {REDIS_URL} is not reachable: {error}")
    return client


class Cluster:
    """The servers' addresses, the data made for them and the processes (for their logs)."""

    def __init__(self, a: str, b: str, made: dict, processes: list[Process]) -> None:
        self.a, self.b, self.made, self.processes = a, b, made, processes


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    redis_client = _redis()
    namespace = f"wms-test-{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("scale-out")
    with fresh_postgres_database("wms_scale_out") as database_url:
        env = child_env(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace,
                        WMS_INSTANCE_DIR=str(folder / "instance"), WMS_ENV="production", SESSION_COOKIE_SECURE="0",
                        SECRET_KEY="scale-out-test-secret", LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
                        WMS_DATA_KEY="b" * 43 + "=", HUEY_IMMEDIATE="0", SOCKETIO_TRANSPORTS="websocket")
        seeded = subprocess.run([sys.executable, "-m", "tests.e2e.scale_out_floor"], cwd=ROOT, env=env,  # noqa: S603
                                capture_output=True, text=True, timeout=300, check=False)
        assert seeded.returncode == 0, seeded.stderr[-4000:]
        made = json.loads(seeded.stdout.strip().splitlines()[-1])
        ports = free_port(), free_port()
        processes = [server_process(port, env, folder / f"server-{port}.log", threads=16) for port in ports]
        processes.append(consumer_process(env, folder / "consumer.log"))
        try:
            for process in processes:
                process.start()
            a, b = (f"http://127.0.0.1:{port}" for port in ports)
            wait_until_answering([a, b], processes)
            yield Cluster(a, b, made, processes)
        finally:
            for process in processes:
                process.stop()
            for key in redis_client.scan_iter(match=f"*{namespace}*"):
                redis_client.delete(key)


def _session(base: str, username: str) -> requests.Session:
    http = requests.Session()
    token = csrf_from(http.get(f"{base}/login").text)
    answer = http.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                       allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return http


def _board(base: str, http: requests.Session, warehouse_id: int):
    """A wave board's Socket.IO client on `base`, in the warehouse's rooms; its `wave_progress` events queued."""
    import socketio

    heard: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("wave_progress", heard.put)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    # (websocket-client sends the Origin itself: the server's own address, which it accepts)
    client.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=20)
    joined = client.call("join_warehouse", {"warehouse_id": warehouse_id}, timeout=20)
    assert joined == {"ok": True}, joined
    return client, heard


def test_a_board_on_one_server_hears_a_scan_posted_to_the_other(cluster):
    # given a supervisor's board connected to server A
    made = cluster.made
    board, heard = _board(cluster.a, _session(cluster.a, "supervisor"), made["warehouse"])
    try:
        # when the picker confirms a pick on server B, through the handheld's pick route with a scan id
        picker = _session(cluster.b, "picker")
        page = picker.get(f"{cluster.b}/picking/pick", timeout=30).text  # claims the cart
        pick = made["pick"]
        data = {"task_id": pick["task_id"], "bin": pick["bin"]}
        data |= {"item": pick["item"], "qty": "1", "code": pick["slot"]} if pick["slot"] else {"code": pick["item"]}
        answer = picker.post(f"{cluster.b}/picking/pick/scan", data=data, timeout=30, headers={
            "X-CSRFToken": csrf_from(page), "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex,
            "Referer": f"{cluster.b}/picking/pick"})
        assert answer.status_code == 200 and "scan-ok" in answer.headers.get("HX-Trigger", ""), answer.text[:500]
        # then the board on A hears the wave's progress with the pick in it
        event = wait_for(lambda: _picked_event(heard, made["wave"]), "server A's board hearing the pick",
                         *cluster.processes, limit_s=20)
        assert event["picked"] >= 1 and event["html"], event
    finally:
        board.disconnect()


def _picked_event(heard: queue.Queue, wave_id: int) -> dict | None:
    try:
        event = heard.get(timeout=0.2)
    except queue.Empty:
        return None
    return event if event.get("wave") == wave_id and event.get("picked", 0) >= 1 else None


def test_the_servers_refuse_long_polling_so_a_proxy_needs_no_sticky_sessions(cluster):
    # given SOCKETIO_TRANSPORTS=websocket, when a client asks for a long-polling session, then it is refused
    answer = requests.get(f"{cluster.b}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=30)
    assert answer.status_code == 400


def test_an_import_started_on_one_server_is_done_by_the_consumer_and_seen_on_the_other(cluster):
    # given a supervisor on each server
    on_a, on_b = _session(cluster.a, "supervisor"), _session(cluster.b, "supervisor")
    # when a file of 30 orders is uploaded on A
    token = csrf_from(on_a.get(f"{cluster.a}/intake/imports", timeout=30).text)
    answer = on_a.post(f"{cluster.a}/intake/imports", allow_redirects=False, timeout=60,
                       data={"csrf_token": token, "channel": str(cluster.made["shop"])},
                       files={"files": ("peak.csv", orders_csv(30, prefix="SO"), "text/csv")})
    assert answer.status_code == 302, answer.text[:800]
    job_path = answer.headers["Location"]
    # then B shows the import done, once the consumer has run it, and lists its orders
    status = wait_for(lambda: _import_status(on_b, f"{cluster.b}{job_path}/progress") in ("done", "failed")
                      and _import_status(on_b, f"{cluster.b}{job_path}/progress"),
                      "the import finishing", *cluster.processes, limit_s=120)
    assert status == "done", cluster.processes[-1].output()
    orders = on_b.get(f"{cluster.b}/orders/", params={"q": "SO0000"}, timeout=30).text
    assert "SO000000" in orders and "SO000029" in orders


def _import_status(http: requests.Session, url: str) -> str:
    found = re.search(r'id="import-progress"[^>]*data-status="([a-z_]+)"', http.get(url, timeout=30).text)
    return found.group(1) if found else ""


def test_failed_logins_counted_on_one_server_count_on_the_other(cluster):
    # given as many wrong passwords for one username on A as the limit allows
    def wrong_password(base: str) -> int:
        http = requests.Session()
        token = csrf_from(http.get(f"{base}/login").text)
        return http.post(f"{base}/login", data={"username": "intruder", "password": "guess", "csrf_token": token},
                         allow_redirects=False, timeout=30).status_code

    assert [wrong_password(cluster.a) for _ in range(LOGIN_LIMIT)] == [401] * LOGIN_LIMIT
    # when the next attempt goes to B, then B refuses it too
    assert wrong_password(cluster.b) == 429
