"""Crash safety: the real server (gunicorn gthread, as in production) and the real job consumer
(huey_consumer wms.worker.huey) are killed with SIGKILL at random moments while clients import order
files, push orders through the API, release waves and pick on handhelds; restarted; checked.

After every restart: the integrity check is clean; every acknowledged operation (a 2xx or the 302 of a
form, received before the kill) is there; every import, wave and pick list is whole (rows counted per
import, per wave, per cart); no job is left queued or running (the runner's resume rules bring each
to done); a request left unanswered by the kill, sent again with its Idempotency-Key / scan id, is
applied once, and an answered one replayed gives the first answer and changes nothing.

CRASH_ITERATIONS (default 3, as CI runs it; 20 for the README's figures) and CRASH_SEED (printed) set
the run; the figures are printed (-s).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import PASSWORD
from tests.integration.jobs_helpers import Consumer, queue_in
from tests.processes import Process, free_port, wait_for_http

from .crash_clients import Importer, Ledger, Op, Picker, Pusher, Releaser, TaskCodes

ITERATIONS = int(os.environ.get("CRASH_ITERATIONS", "3"))  # the README's figures: CRASH_ITERATIONS=20
SEED = int(os.environ.get("CRASH_SEED", str(random.SystemRandom().randrange(10**6))))
SKUS = [f"S{n}" for n in range(1, 7)]
BINS = ["A01-01-1", "A01-04-1", "A02-02-1", "A02-05-1", "A03-03-1", "A03-06-1"]
PRELOADED_ORDERS = 90
#: The consumer's and this process's job settings: a dead worker's job is taken again after 3 s.
JOB_SETTINGS = {"JOBS_STALL_SECONDS": "3", "JOBS_LOST_SECONDS": "3"}
GUNICORN = Path(os.sys.executable).with_name("gunicorn")

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(1800)]


@pytest.fixture
def crash_world(app, users):
    """SH1 (上海) with six SKUs of 3,000 units in six bins, the TM (API, waves) and MANUAL (file) shops,
    90 allocated orders, a first small wave released, two pickers and the supervisor's API token."""
    from erp_core.auth.services import create_api_token, create_user
    from erp_core.catalog.models import SkuBarcode
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        builder = (FloorBuilder().warehouse("SH1", "Shanghai", province="上海")
                   .layout(ZoneSpec("A", aisles=3, bays_per_aisle=6, levels=1))
                   .channel("TM", "Tmall", "tmall").channel("MANUAL", "Phone orders", "manual"))
        for sku, where in zip(SKUS, BINS, strict=True):
            builder = builder.sku(sku, f"Item {sku}", barcodes=[f"BC-{sku}"]).stock(sku, where, 3000)
        floor = builder.build()
        rng = random.Random(SEED)
        for n in range(PRELOADED_ORDERS):
            lines = [(sku, rng.randint(1, 2)) for sku in rng.sample(SKUS, rng.randint(1, 2))]
            approve_order(make_order(f"PRE{n:03d}", lines, phone=f"1380013{n:04d}"))
        release_waves(floor["SH1"], WaveRules(max_orders=6, cart_slots=3))
        create_user("picker2", PASSWORD, "picker")
        _record, token = create_api_token(users["supervisor"], "crash run", users["admin"])
        barcodes = dict(db.session.execute(select(SkuBarcode.sku_id, SkuBarcode.code)).all())
        db.session.remove()
    return {"warehouse": floor["SH1"], "manual": floor["MANUAL"], "token": token, "barcodes": barcodes}


class Services:
    """The server and the consumer, as `make run` / the README start them, on the test database."""

    def __init__(self, app, folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.consumer = Consumer(app, folder, WMS_BACKUP_HOUR="off", **JOB_SETTINGS)
        env = {**self.consumer.env, "LOGIN_RATE_LIMIT": "10000 per minute", "BOARD_COALESCE_SECONDS": "0"}
        self.server = Process([str(GUNICORN), "-k", "gthread", "--threads", "8", "-w", "1", "--no-control-socket",
                               "-b", f"127.0.0.1:{self.port}", "wsgi:app"], env, folder / "server.log")

    def start(self) -> float:
        """Both started together; the seconds until the server answers."""
        self.server.start()
        self.consumer.start()
        return wait_for_http(self.base + "/login", self.server)

    def stop(self) -> None:
        self.server.stop()
        self.consumer.stop()


@pytest.fixture
def services(app, tmp_path, monkeypatch):
    running = Services(app, tmp_path)
    for name, value in JOB_SETTINGS.items():
        monkeypatch.setitem(app.config, name, float(value))
    with queue_in(running.consumer.huey_file, monkeypatch):  # this process reaps like the minute task
        yield running
        running.stop()


def _task_codes(app, barcodes: dict[int, str]):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    def codes(task_id: int) -> TaskCodes:
        with app.app_context():
            task = db.session.get(PickTask, task_id)
            slot = f"{task.tote.barcode}-S{task.slot}" if task.slot else ""
            found = TaskCodes(task.pick_list_id, task.location.barcode, barcodes[task.sku_id], slot)
            db.session.remove()
        return found

    return codes


def _running_jobs(app) -> list[str]:
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        kinds = list(db.session.scalars(select(Job.kind).where(Job.status == "running")))
        db.session.remove()
    return kinds


def _settle_jobs(app, limit_s: float = 180.0) -> float:
    """Wait until no job is queued or running, reaping as the consumer's minute task does; seconds taken."""
    from erp_core.extensions import db
    from erp_core.jobs.models import Job
    from erp_core.jobs.runner import reap_stalled_jobs

    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        with app.app_context():
            open_jobs = db.session.scalar(select(func.count(Job.id)).where(Job.status.in_(("queued", "running"))))
            if not open_jobs:
                db.session.remove()
                return time.monotonic() - started
            reap_stalled_jobs()
            db.session.remove()
        time.sleep(1.0)
    pytest.fail(f"jobs still queued or running {limit_s:.0f} s after the restart")


def _again(client, op: Op) -> None:
    """Send an unanswered op again, same key and body: it must be answered, and is then acknowledged."""
    answer = client.again(op, headers={"HX-Request": "true"} if op.kind == "scan" else None)
    assert answer.status_code < 300, (op.kind, answer.status_code, answer.text[:300])
    op.status, op.headers, op.text, op.resent = answer.status_code, dict(answer.headers), answer.text, True


def _replayed(client, op: Op) -> str | None:
    """An answered op sent again: the first answer, marked replayed, nothing changed."""
    answer = client.again(op, headers={"HX-Request": "true"} if op.kind == "scan" else None)
    if answer.headers.get("Idempotent-Replayed") != "true" or answer.status_code != op.status \
            or answer.text != op.text:
        return f"{op.kind} {op.key}: replay answered {answer.status_code} {answer.text[:200]}"
    return None


IMPORT_NAME = re.compile(r"crash-(IM\d+-)n(\d+)\.csv")


def _violations(app, ledger: Ledger, checked_imports: set[int], iteration: int) -> tuple[list[str], Counter]:
    """Everything wrong after a restart (the integrity check, the records of each operation), and counts."""
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db
    from erp_core.inventory.integrity import stock_invariant_violations
    from erp_core.inventory.models import StockMove
    from erp_core.jobs.models import Job
    from erp_core.ops.integrity import run_integrity_check
    from erp_core.orders.models import Order, OrderLine
    from wms.picking.models import PickList, PickTask, WaveOrder

    problems, checked = [], Counter()
    with app.app_context():
        problems += [f"integrity: {f.kind} {f.details}" for f in run_integrity_check()]
        problems += [f"invariant: {p}" for p in stock_invariant_violations()]
        problems += [f"job {j.id} {j.kind} {j.status}: {j.error}" for j in
                     db.session.scalars(select(Job).where(Job.status != "done"))]
        # every acknowledged import is there; every import is whole: all its orders, each with its line
        known = set(db.session.scalars(select(ImportJob.id)))
        for op in ledger.of(iteration, "import"):
            if "import_id" in op.extra:
                checked["import acknowledged"] += 1
                if op.extra["import_id"] not in known:
                    problems.append(f"acknowledged import {op.extra['import_id']} is missing")
        for job in db.session.scalars(select(ImportJob).where(ImportJob.id.not_in(checked_imports or {0}))):
            prefix, count = IMPORT_NAME.fullmatch(job.file_names).groups()
            count = int(count)
            orders = db.session.scalar(select(func.count(Order.id)).where(Order.external_id.like(f"{prefix}%")))
            lines = db.session.scalar(select(func.count(OrderLine.id)).join(Order, OrderLine.order_id == Order.id)
                                      .where(Order.external_id.like(f"{prefix}%")))
            figures = (job.status, job.total_orders, job.processed_orders, job.created_orders, job.duplicate_orders)
            if figures != ("done", count, count, count, 0) or (orders, lines) != (count, count):
                problems.append(f"import {job.id} ({prefix}, {count} orders): (status, total, processed, created, "
                                f"duplicates) = {figures}, {orders} orders and {lines} lines stored")
            checked_imports.add(job.id)
            checked["imports whole"] += 1
        # every acknowledged push is one order with its lines
        for op in ledger.of(iteration, "push"):
            if op.status is not None and op.status < 300:
                checked["push acknowledged"] += 1
                stored = db.session.execute(select(Order.id, func.count(OrderLine.id)).join(OrderLine).where(
                    Order.external_id == op.json["external_id"]).group_by(Order.id)).all()
                if [n for _, n in stored] != [len(op.json["lines"])]:
                    problems.append(f"push {op.json['external_id']}: stored as {stored}")
        # every wave is whole: its pick tasks ask for exactly its orders' lines, every order in picking has a wave
        asked = dict(db.session.execute(select(PickList.wave_id, func.sum(PickTask.quantity)).join(PickTask)
                                        .group_by(PickList.wave_id)).all())
        ordered = dict(db.session.execute(select(WaveOrder.wave_id, func.sum(OrderLine.quantity)).join(
            OrderLine, OrderLine.order_id == WaveOrder.order_id).group_by(WaveOrder.wave_id)).all())
        if asked != ordered:
            problems.append(f"waves: tasks ask {asked}, their orders' lines {ordered}")
        checked["waves whole"] = len(ordered)
        loose = db.session.scalar(select(func.count(Order.id)).where(
            Order.status == "picking", Order.id.not_in(select(WaveOrder.order_id))))
        if loose:
            problems.append(f"{loose} orders in picking belong to no wave")
        # every cart holds exactly the units its confirmed scans picked, and the ledger moved them
        expected = Counter()
        for op in ledger.ops:
            if op.kind == "scan" and op.extra["confirming"] and op.status == 200 and op.scan_ok:
                expected[op.extra["list_id"]] += 1
        picked = Counter(dict(db.session.execute(select(PickTask.pick_list_id, func.sum(PickTask.picked_quantity))
                                                 .group_by(PickTask.pick_list_id)).all()))
        picked = Counter({k: v for k, v in picked.items() if v})
        if picked != expected:
            problems.append(f"picks: carts hold {dict(picked)}, confirmed scans {dict(expected)}")
        moved = db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0))
                                  .where(StockMove.reason == "pick"))
        if moved != sum(picked.values()):
            problems.append(f"picks: {sum(picked.values())} units picked, {moved} moved by pick moves")
        checked["units picked"] = sum(picked.values())
        db.session.remove()
    return problems, checked


def test_killed_server_and_consumer_lose_nothing_and_apply_nothing_twice(app, users, crash_world, services):
    rng = random.Random(SEED)
    print(f"\ncrash run: seed {SEED}, {ITERATIONS} iterations, {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    ledger = Ledger()
    startup = [services.start()]
    office = Importer(services.base, ledger, random.Random(rng.random()), crash_world["manual"], "S1")
    office.login("supervisor")
    shop = Pusher(services.base, ledger, random.Random(rng.random()), crash_world["token"], SKUS)
    supervisor = Releaser(services.base, ledger, random.Random(rng.random()), crash_world["warehouse"])
    supervisor.login("supervisor")
    codes = _task_codes(app, crash_world["barcodes"])
    pickers = [Picker(services.base, ledger, random.Random(rng.random()), codes) for _ in range(2)]
    for picker, name in zip(pickers, ("picker", "picker2"), strict=True):
        picker.login(name)
    clients = [office, shop, supervisor, *pickers]
    checked_imports: set[int] = set()
    figures: Counter = Counter()
    phases: Counter = Counter()
    for iteration in range(ITERATIONS):
        kill_server_at, kill_consumer_at = rng.uniform(1.0, 4.0), rng.uniform(0.5, 4.0)
        stop = threading.Event()
        threads = []
        for client in clients:
            client.iteration = iteration
            threads.append(threading.Thread(target=client.run, args=(stop,), daemon=True))
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for at, what in sorted([(kill_server_at, "server"), (kill_consumer_at, "consumer")]):
            time.sleep(max(0.0, at - (time.monotonic() - began)))
            if what == "server":
                flying = ledger.flying()
                services.server.kill()
                stop.set()
                phases.update(f"server killed with {kind} in flight" for kind in flying)
                phases["server killed between requests" if not flying else "server killed mid-request"] += 1
            else:  # when a job is running (an import the clients started), at a random point of it
                waited_until = time.monotonic() + 3.0
                while not (running := _running_jobs(app)) and time.monotonic() < waited_until:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.3))
                running = running or _running_jobs(app)
                services.consumer.kill()
                phases.update(f"consumer killed running {kind}" for kind in running)
                phases["consumer killed idle" if not running else "consumer killed mid-job"] += 1
        for thread in threads:
            thread.join(60)
        startup.append(services.start())
        # an unanswered request sent again (same key) is applied once; an answered one replayed
        replays = []
        for client in (shop, *pickers):
            for op in [op for op in client.sent if op.iteration == iteration]:
                if not op.answered:
                    _again(client, op)
                    figures[f"{op.kind} sent again after the restart"] += 1
                elif op.status < 300:
                    replays.append(_replayed(client, op))
                    figures[f"{op.kind} replayed"] += 1
        for picker in pickers:
            picker.panel = ""
        settle = _settle_jobs(app)
        problems, checked = _violations(app, ledger, checked_imports, iteration)
        problems += [p for p in replays if p] + ledger.server_errors
        figures.update({k: v for k, v in checked.items() if k not in ("waves whole", "units picked")})
        figures["waves whole"], figures["units picked"] = checked["waves whole"], checked["units picked"]
        print(f"  #{iteration:02d} kill server at {kill_server_at:.2f} s, consumer at {kill_consumer_at:.2f} s; "
              f"ops {len(ledger.of(iteration))} ({sum(not op.answered for op in ledger.of(iteration))} unanswered); "
              f"restart {startup[-1]:.1f} s, jobs settled in {settle:.1f} s")
        assert not problems, f"iteration {iteration} (seed {SEED}):\n  " + "\n  ".join(problems[:30])
    acknowledged = Counter(op.kind for op in ledger.ops if op.status is not None and op.status < 400)
    print(f"  kills: {dict(phases)}")
    print(f"  acknowledged ops: {dict(acknowledged)}; checked: {dict(figures)}")
    print(f"  server start: median {sorted(startup)[len(startup) // 2]:.1f} s, max {max(startup):.1f} s")

