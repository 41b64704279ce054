"""scan.roundtrip: a picker's confirming scan over HTTP, 20 scanners at once, against an authenticated
no-op of the same app in the same run.

The floor: one warehouse (2 aisles x 30 bays), 60 SKUs each in its own bin, orders of 5 one-unit
lines released as cluster waves, so each of the 20 pickers (users with the picker role) has a cart of
30 pick tasks. The app runs under a threaded WSGI server (werkzeug's, in this process, on a free
port); each scanner is a thread with its own logged-in HTTP session (requests), like a handheld.

A, the project: POST /picking/pick/scan, the cart's last step of a pick (the slot scan, sent with the
bin and item the screen keeps as hidden fields) with a fresh Idempotency-Key: the key claimed, the
pick confirmed (stock moved bin -> tote, reservation moved, task and list progress), the answer
stored, one commit, the wave-board event emitted after it.
B, the baseline: GET /m/ping, login and role checked, no database work beyond loading the user.

Each scanner alternates B A B A ... as fast as the answers come (20 requests in flight), so both see
the same load; p50 and p95 of each over all scanners; the ratios are reported. SQLite always; on
PostgreSQL too when BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a reachable server (a temporary
database is created there and dropped afterwards).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.common import BenchResult, app_on, main_for, postgres_base, postgres_database

SCANNERS = 20
PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway database)
LINES_PER_ORDER = 5
WAREHOUSE_CODE = "SC1"


@dataclass(frozen=True)
class Pick:
    task_id: int
    bin: str
    item: str
    slot: str


def seed_pick_floor(app, *, pickers: int, units_per_picker: int, cart_items: int,
                    warehouse_code: str = WAREHOUSE_CODE, wave_orders: int = 10_000) -> None:
    """The benchmarks' picking floor: one warehouse (2 aisles x 30 bays), 60 SKUs each in its own bin,
    `pickers` users `picker00`... (password PASSWORD), and orders of 5 one-unit lines enough for
    `units_per_picker` each, approved and released as cluster waves of up to `wave_orders` orders in
    carts of `cart_items` units."""
    from sqlalchemy import select

    from erp_core.auth.services import create_user
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order
    from erp_core.orders.workflow import approve_order
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    orders = pickers * units_per_picker // LINES_PER_ORDER
    with app.app_context():
        with atomic():
            wh = create_warehouse(warehouse_code, "Bench DC", province="上海")
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=30, levels=1),)))
            bins = db.session.scalars(select(Location.id).filter_by(warehouse_id=wh.id, kind="bin")
                                      .order_by(Location.id)).all()
            db.session.add(Channel(code="BENCH-SCAN", name="Bench shop", platform="tmall"))
            for index, bin_id in enumerate(bins):
                sku = create_sku(f"S{index:03d}", f"Item {index}", barcodes=[f"BC-S{index:03d}"])
                receive(sku.id, bin_id, orders, reference="bench")
            for n in range(pickers):
                create_user(f"picker{n:02d}", PASSWORD, "picker")
        for n in range(orders):
            lines = [NewOrderLine(f"S{(n * 7 + k * 13) % len(bins):03d}", 1, Decimal("9.90"))
                     for k in range(LINES_PER_ORDER)]
            created = create_order(NewOrder(
                channel_code="BENCH-SCAN", external_id=f"SC-{n}", lines=lines, ship_name="王芳",
                ship_phone="13800138000", ship_province="上海", ship_city="上海市", ship_address="中山路 100 号"))
            approve_order(created.id)
        rules = WaveRules(max_orders=wave_orders, max_lines=100_000, cart_items=cart_items,
                          cart_slots=cart_items // LINES_PER_ORDER)
        while release_waves(wh.id, rules)[0]:  # a release takes up to `wave_orders`: again until all are out
            pass
        db.session.remove()


def _cart_of(app, username: str) -> list[Pick]:
    """The scans that confirm each pick of the picker's cart, in route order."""
    from sqlalchemy import select

    from erp_core.auth.models import User
    from erp_core.extensions import db
    from wms.picking.models import PickList

    with app.app_context():
        user_id = db.session.scalar(select(User.id).filter_by(username=username))
        pick_list = db.session.scalar(select(PickList).filter_by(picker_id=user_id, status="in_progress"))
        picks = [Pick(t.id, t.location.barcode, f"BC-{t.sku.code}", f"{t.tote.barcode}-S{t.slot}" if t.slot else "")
                 for t in pick_list.tasks if t.status == "open" for _ in range(t.quantity - t.picked_quantity)]
        db.session.remove()
        return picks


class Scanner:
    """One handheld: a logged-in session, its cart's confirming scans, its timings."""

    def __init__(self, base: str, username: str) -> None:
        import requests

        self.base, self.http = base, requests.Session()
        page = self.http.get(f"{base}/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = self.http.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                       "csrf_token": token}, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:300]
        page = self.http.get(f"{base}/picking/pick").text  # claims the picker's cart
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        self.picks: list[Pick] = []
        self.scan_times: list[float] = []
        self.ping_times: list[float] = []

    def ping(self) -> None:
        start = time.perf_counter()
        answer = self.http.get(f"{self.base}/m/ping")
        self.ping_times.append(time.perf_counter() - start)
        assert answer.status_code == 200

    def confirm(self, pick: Pick) -> None:
        data = {"task_id": pick.task_id, "bin": pick.bin}
        if pick.slot:
            data |= {"item": pick.item, "qty": "1", "code": pick.slot}
        else:
            data |= {"code": pick.item}
        headers = {"X-CSRFToken": self.token, "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex,
                   "Referer": f"{self.base}/picking/pick"}
        start = time.perf_counter()
        answer = self.http.post(f"{self.base}/picking/pick/scan", data=data, headers=headers)
        self.scan_times.append(time.perf_counter() - start)
        assert answer.status_code == 200 and "scan-ok" in answer.headers.get("HX-Trigger", ""), (
            answer.status_code, answer.headers.get("HX-Trigger"), answer.text[:300])

    def work(self, barrier: threading.Barrier, errors: list[BaseException]) -> None:
        try:
            barrier.wait()
            for pick in self.picks:
                self.ping()
                self.confirm(pick)
        except BaseException as error:  # noqa: BLE001  (reported by the caller)
            errors.append(error)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(url: str, database: str, quick: bool, instance: Path) -> list[BenchResult]:
    from werkzeug.serving import make_server

    picks_per_scanner = 10 if quick else 30
    app = app_on(url, instance, {"LOGIN_RATE_LIMIT": "100000 per minute", "WTF_CSRF_SSL_STRICT": False})
    seed_pick_floor(app, pickers=SCANNERS, units_per_picker=picks_per_scanner, cart_items=picks_per_scanner)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        scanners = [Scanner(base, f"picker{n:02d}") for n in range(SCANNERS)]
        for n, scanner in enumerate(scanners):
            scanner.picks = _cart_of(app, f"picker{n:02d}")
            assert scanner.picks, f"picker{n:02d} has no cart"
        for scanner in scanners:  # one warm-up each, not timed
            scanner.ping()
            scanner.confirm(scanner.picks.pop(0))
            scanner.scan_times.clear()
            scanner.ping_times.clear()
        barrier, errors = threading.Barrier(SCANNERS), []
        workers = [threading.Thread(target=s.work, args=(barrier, errors)) for s in scanners]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise errors[0]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        from erp_core.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    scans = [t for s in scanners for t in s.scan_times]
    pings = [t for s in scanners for t in s.ping_times]
    p50, p95 = statistics.median(scans), _percentile(scans, 0.95)
    b50, b95 = statistics.median(pings), _percentile(pings, 0.95)
    params = {"database": database, "scanners": SCANNERS, "scans": len(scans),
              "scan_p50_ms": round(p50 * 1000, 1), "scan_p95_ms": round(p95 * 1000, 1),
              "noop_p50_ms": round(b50 * 1000, 1), "noop_p95_ms": round(b95 * 1000, 1),
              "scans_per_s": round(len(scans) / elapsed, 1)}
    print(f"   {database}: {len(scans)} confirming scans, p50 {p50 * 1000:.1f} ms (no-op {b50 * 1000:.1f}), "
          f"p95 {p95 * 1000:.1f} ms (no-op {b95 * 1000:.1f}), {len(scans) / elapsed:.0f} scans/s")
    return [BenchResult("scan.roundtrip", "p50_ratio", round(p50 / b50, 2), "GET /m/ping", params),
            BenchResult("scan.roundtrip", "p95_ratio", round(p95 / b95, 2), "GET /m/ping", params)]


def _on_postgres(quick: bool, instance: Path) -> list[BenchResult]:
    with postgres_database("wms_bench_scan") as url:
        return measure(url, "postgresql", quick, instance) if url else []


def run(quick: bool) -> list[BenchResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        results += measure(f"sqlite:///{Path(tmp) / 'scan.db'}", "sqlite", quick, Path(tmp) / "instance")
        if postgres_base() and not os.environ.get("BENCH_SQLITE_ONLY"):
            results += _on_postgres(quick, Path(tmp) / "instance-pg")
    return results


if __name__ == "__main__":
    main_for(run)
