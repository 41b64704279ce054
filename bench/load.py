"""load.pickers: a peak-hour load run on loopback — 50 simulated pickers (locust), each with its own login
and cart, scanning picks for a minute against two gunicorn processes with PostgreSQL and Redis.

`python -m bench.load` (or `make load`); `--quick`: 10 pickers for 20 s. Needs PostgreSQL
(BENCH_POSTGRES_URL or TEST_POSTGRES_URL; a scratch database is created and dropped) and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/0; the run's keys have a namespace of their own and
are deleted afterwards). Not in `make bench`: it is a pass/fail run with latency figures, not a
ratio against a baseline.

The floor is bench/scan.py's (one warehouse, 60 SKUs in 60 bins), with orders of 5 one-unit lines
released as cluster waves of 20-unit carts, enough that no picker runs out of work at the fastest
pace allowed. The servers run as the README's production launch (gunicorn -k gthread -w 1, one
process per port, REDIS_URL for Socket.IO and the login limit); pickers are spread over the two.
Each picker follows the pick screen (bin, item, slot; see bench/load_pickers.py), waiting 0.5-1.5 s
between scans (a quick picker with a ring scanner). Reported: errors (any non-200 or refused scan),
latency percentiles p50/p95/p99/max of the scans and of every request, scans and picks per second;
after the run the stock ledger's invariants are checked.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import SCAN_PASSWORD as PASSWORD
from bench.common import BenchResult, app_on, main_for, postgres_base, postgres_database, seed_pick_floor
from bench.processes import BIN, Process, child_env, free_port, server_process, wait_until_answering

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CART_ITEMS = 20
WAVE_ORDERS = 100
THINK_S = (0.5, 1.5)
ARRIVALS_PER_S = 5  # the shift arrives: 5 pickers log in each second (50 in 10 s)
SCANS_PER_UNIT = 3  # bin, item, slot
LOCUSTFILE = Path(__file__).with_name("load_pickers.py")  # never imported here: locust patches for gevent
SCAN_ROW = "POST /picking/pick/scan"  # the name load_pickers.py gives the scans in locust's figures
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _size(quick: bool) -> tuple[int, int]:
    return (10, 20) if quick else (50, 60)


def _units_per_picker(seconds: int) -> int:
    """Whole carts for the units one picker can scan at most in the run (every think at its shortest,
    answers instant) +25%: every picker has a cart at the start and never runs out."""
    most = math.ceil(seconds / THINK_S[0] / SCANS_PER_UNIT * 1.25)
    return math.ceil(most / CART_ITEMS) * CART_ITEMS


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        print(f"   redis: not reachable at {REDIS_URL} ({error})")
        return None
    return client


def _stats(prefix: Path) -> dict[str, dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def _floor_after(app) -> dict:
    """What the run did to the floor (units picked), and whether the ledger still adds up."""
    from sqlalchemy import func, select

    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from wms.picking.models import PickTask

    with app.app_context():
        picked = db.session.scalar(select(func.coalesce(func.sum(PickTask.picked_quantity), 0)))
        problems = stock_invariant_violations()
        db.session.remove()
    return {"picked": int(picked), "violations": len(problems)}


def measure(url: str, quick: bool, folder: Path, redis_client) -> list[BenchResult]:
    pickers, seconds = _size(quick)
    instance = folder / "instance"
    app = app_on(url, instance)
    started = time.perf_counter()
    units = _units_per_picker(seconds)
    seed_pick_floor(app, pickers=pickers, units_per_picker=units, cart_items=CART_ITEMS, warehouse_code="LD1",
                    wave_orders=WAVE_ORDERS)
    print(f"   floor: {pickers * units // 5} orders ({pickers * units} units) in waves of {WAVE_ORDERS} orders, "
          f"carts of {CART_ITEMS} units: {time.perf_counter() - started:.0f} s")
    namespace = f"wms-load-{uuid.uuid4().hex[:8]}"
    env = child_env(DATABASE_URL=url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace, WMS_INSTANCE_DIR=str(instance),
                    WMS_ENV="production", SESSION_COOKIE_SECURE="0", SECRET_KEY="bench-load-secret",  # noqa: S106
                    WMS_DATA_KEY="b" * 43 + "=")
    ports = free_port(), free_port()
    hosts = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [server_process(port, env, folder / f"server-{port}.log") for port in ports]
    prefix = folder / "locust"
    try:
        for server in servers:
            server.start()
        wait_until_answering(hosts, servers)
        print(f"   {pickers} pickers for {seconds} s against {' and '.join(hosts)}")
        locust = Process([str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(pickers),
                          "-r", str(ARRIVALS_PER_S), "-t", f"{seconds + 900}s", "--stop-timeout", "5",
                          "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                         {**env, "LOAD_HOSTS": ",".join(hosts), "LOAD_PASSWORD": PASSWORD, "LOAD_PICKERS": str(pickers),
                          "LOAD_SECONDS": str(seconds),
                          "LOAD_THINK_MIN": str(THINK_S[0]), "LOAD_THINK_MAX": str(THINK_S[1])},
                         folder / "locust.log")
        locust.start()
        try:
            locust.process.wait(timeout=seconds + 960)  # the logins first (not measured), then the run
        except subprocess.TimeoutExpired:
            locust.stop()
            raise RuntimeError("locust did not finish\n" + locust.output()) from None
        stats = _stats(prefix)
        logs = "\n".join([locust.output(), *(f"--- {s.log.name}\n{s.output()}" for s in servers)])
    finally:
        for server in servers:
            server.stop()
        for key in redis_client.scan_iter(match=f"*{namespace}*"):
            redis_client.delete(key)
    floor = _floor_after(app)
    from erp_core.extensions import db

    with app.app_context():
        db.engine.dispose()
    return _results(stats, floor, pickers, seconds, logs)


def _results(stats: dict[str, dict[str, str]], floor: dict, pickers: int, seconds: int, log: str) -> list[BenchResult]:
    scans, every, logins = stats.get(SCAN_ROW), stats["Aggregated"], stats.get("POST /login")
    if scans is None:
        raise RuntimeError("no scan was sent\n" + log)
    errors = int(every["Failure Count"])  # every request: the logins and cart claims as well as the scans
    scan = {"p50_ms": float(scans["50%"]), "p95_ms": float(scans["95%"]), "p99_ms": float(scans["99%"]),
            "max_ms": float(scans["Max Response Time"])}
    # the scans run for `seconds` once every picker is in (locust's own rate counts the logins' time too)
    params = {"database": "postgresql", "servers": 2, "pickers": pickers, "seconds": seconds,
              "think_s": f"{THINK_S[0]}-{THINK_S[1]}", "requests": int(every["Request Count"]),
              "scans": int(scans["Request Count"]), "scans_per_s": round(int(scans["Request Count"]) / seconds, 1),
              "units_picked": floor["picked"], "picks_per_s": round(floor["picked"] / seconds, 1),
              "ledger_violations": floor["violations"], **{f"scan_{k}": v for k, v in scan.items()},
              "login_p50_ms": float(logins["50%"]) if logins else None}
    print(f"   {params['requests']} requests ({params['scans']} scans, {floor['picked']} units picked), "
          f"{errors} errors; scans p50 {scan['p50_ms']:.0f} ms, p95 {scan['p95_ms']:.0f}, p99 {scan['p99_ms']:.0f}, "
          f"max {scan['max_ms']:.0f}; {params['scans_per_s']} scans/s, {params['picks_per_s']} picks/s; "
          f"ledger violations {floor['violations']}")
    if errors:
        print(log[-8000:])
    return [BenchResult("load.pickers", "errors", errors, None, params),
            *(BenchResult("load.pickers", f"scan_{k}", v, None, params) for k, v in scan.items()),
            BenchResult("load.pickers", "scans_per_s", params["scans_per_s"], None, params)]


def run(quick: bool) -> list[BenchResult]:
    redis_client = _redis()
    if redis_client is None:
        return []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, postgres_database(
            "wms_bench_load", postgres_base() or POSTGRES_DEFAULT) as url:
        return measure(url, quick, Path(tmp), redis_client) if url else []


if __name__ == "__main__":
    main_for(run)
