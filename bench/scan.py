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

import statistics
import threading
import time
from decimal import Decimal
from pathlib import Path

from bench.common import (
    SCAN_PASSWORD,
    SCAN_WAREHOUSE,
    BenchResult,
    Scanner,
    cart_of,
    main_for,
    on_both_databases,
    percentile,
    seed_scan_floor,
    served_app,
    serving,
)

SCANNERS = 20
PASSWORD = SCAN_PASSWORD
LINES_PER_ORDER = 5


def seed_pick_floor(app, *, pickers: int, units_per_picker: int, cart_items: int,
                    warehouse_code: str = SCAN_WAREHOUSE, wave_orders: int = 10_000) -> None:
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


def measure(url: str, database: str, quick: bool, instance: Path) -> list[BenchResult]:
    picks_per_scanner = 10 if quick else 30
    app = served_app(url, instance)
    seed_scan_floor(app, SCANNERS, picks_per_scanner)
    with serving(app) as base:
        scanners = [Scanner(base, f"picker{n:02d}") for n in range(SCANNERS)]
        for n, scanner in enumerate(scanners):
            scanner.picks = cart_of(app, f"picker{n:02d}")
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
    scans = [t for s in scanners for t in s.scan_times]
    pings = [t for s in scanners for t in s.ping_times]
    p50, p95 = statistics.median(scans), percentile(scans, 0.95)
    b50, b95 = statistics.median(pings), percentile(pings, 0.95)
    params = {"database": database, "scanners": SCANNERS, "scans": len(scans),
              "scan_p50_ms": round(p50 * 1000, 1), "scan_p95_ms": round(p95 * 1000, 1),
              "noop_p50_ms": round(b50 * 1000, 1), "noop_p95_ms": round(b95 * 1000, 1),
              "scans_per_s": round(len(scans) / elapsed, 1)}
    print(f"   {database}: {len(scans)} confirming scans, p50 {p50 * 1000:.1f} ms (no-op {b50 * 1000:.1f}), "
          f"p95 {p95 * 1000:.1f} ms (no-op {b95 * 1000:.1f}), {len(scans) / elapsed:.0f} scans/s")
    return [BenchResult("scan.roundtrip", "p50_ratio", round(p50 / b50, 2), "GET /m/ping", params),
            BenchResult("scan.roundtrip", "p95_ratio", round(p95 / b95, 2), "GET /m/ping", params)]


def run(quick: bool) -> list[BenchResult]:
    return on_both_databases(measure, "scan", quick)


if __name__ == "__main__":
    main_for(run)
