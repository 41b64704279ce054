"""orders.audit: 10,000 pending orders audited and allocated as a background job while 10 scanners keep
scanning, against the same scanners with no job running, in the same run.

The data: a shop of 100 SKUs in a second warehouse (100 bins, 2,000 units each), 10,000 pending orders
of 1-3 lines (Zipf-popular SKUs) stored by the import path, from unique buyers except 5% repeat buyers
(two orders each, same address: the duplicate rule holds the second) and one buyer with 200 orders;
3% carry a buyer note. The floor is the scan.roundtrip one (bench.common.seed_scan_floor) with 10
pickers whose carts are large enough to keep scanning the whole run.

The job: `start_audit_pending_job`, what the office's "audit pending" button starts, through the jobs
runner (huey in immediate mode: the job runs in its own thread of this process, in chunks, as a
consumer would run it). orders_per_second = orders / the job's wall time.

The scans: each picker's confirming scan (POST /picking/pick/scan over HTTP, as in scan.roundtrip) as
fast as the answers come. Idle (no job), then during the job, then idle again (A B A); scan_p95_ratio
= p95 during the job / p95 of both idle phases. Afterwards the stock invariants are checked (every
quant's reserved units = its reservation rows, never above on hand) and the outcomes counted.
SQLite always; PostgreSQL too when BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a server.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.common import (
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

SEED = 11
SCANNERS = 10
SKUS = 100
UNITS_PER_SKU = 2000
CHANNEL = "BENCH-AUDIT"
BIG_BUYER_ORDERS = 200
REPEAT_SHARE = 0.05
_PLACES = (("浙江省", "杭州市", "西湖区", "310012"), ("广东省", "深圳市", "南山区", "518057"),
           ("上海市", "上海市", "浦东新区", "200120"), ("江苏省", "南京市", "鼓楼区", "210008"))


def pending_orders(count: int, seed: int = SEED) -> list:
    """`count` parsed orders (see the module docstring for the mix), in a seeded random order."""
    from erp_core.channels.importers import ParsedLine, ParsedOrder

    rng = random.Random(f"audit-orders-{seed}-{count}")
    weights = [1 / k for k in range(1, SKUS + 1)]
    repeat = int(count * REPEAT_SHARE) // 2
    buyers = ["big"] * BIG_BUYER_ORDERS + [f"r{n}" for n in range(repeat) for _ in range(2)]
    buyers += [f"u{n}" for n in range(count - len(buyers))]
    rng.shuffle(buyers)
    start = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
    orders = []
    for n, buyer in enumerate(buyers):
        key = sum(map(ord, buyer))
        province, city, district, postcode = _PLACES[key % len(_PLACES)]
        skus = sorted(set(rng.choices(range(1, SKUS + 1), weights, k=rng.choice((1, 1, 2, 2, 3)))))
        lines = [ParsedLine(f"AU-{k:03d}", rng.choice((1, 1, 1, 2)), Decimal(rng.choice(("9.90", "49.00", "129.00"))))
                 for k in skus]
        at = start + timedelta(seconds=n * 4)
        orders.append(ParsedOrder(
            external_id=f"AU{n:07d}", platform="template", buyer_id=f"wx_{buyer}", name="王芳",
            phone=f"139{key % 10**8:08d}", province=province, city=city, district=district,
            address=f"文三路{key % 900 + 1}号 {buyer} 室", postcode=postcode,
            buyer_note="请尽快发货" if rng.random() < 0.03 else "", created_at=at, paid_at=at + timedelta(minutes=1),
            lines=lines))
    return orders


def seed_audit(app, count: int) -> int:
    """The audit shop: SKUs stocked in warehouse AU1 and `count` pending orders; returns the supervisor's id."""
    from sqlalchemy import select

    from erp_core.auth.services import create_user
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.channels.services import ImportReport, channel_by_code, store_parsed_orders
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout

    with app.app_context():
        with atomic():
            wh = create_warehouse("AU1", "Audit bench DC", province="浙江省")
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=50, levels=1),)))
            bins = db.session.scalars(select(Location.id).filter_by(warehouse_id=wh.id, kind="bin")
                                      .order_by(Location.id)).all()
            db.session.add(Channel(code=CHANNEL, name="Audit bench shop", platform="tmall"))
            for k, bin_id in zip(range(1, SKUS + 1), bins, strict=False):
                sku = create_sku(f"AU-{k:03d}", f"Audit item {k}", barcodes=[f"BC-AU-{k:03d}"])
                receive(sku.id, bin_id, UNITS_PER_SKU, reference="bench")
            supervisor = create_user("auditor", "bench-password-1", "supervisor")
        report = store_parsed_orders(channel_by_code(CHANNEL), pending_orders(count), ImportReport(format="template"))
        assert len(report.created) == count, report.errors[:3]
        supervisor_id = supervisor.id
        db.session.remove()
    return supervisor_id


class Floor:
    """The 10 scanners: each confirms its cart's picks as fast as the answers come, phase by phase."""

    def __init__(self, base: str, app) -> None:
        self.scanners = [Scanner(base, f"picker{n:02d}") for n in range(SCANNERS)]
        for n, scanner in enumerate(self.scanners):
            scanner.picks = cart_of(app, f"picker{n:02d}")
            scanner.confirm(scanner.picks.pop(0), retry_conflicts=True)  # warm-up, not timed
            scanner.scan_times.clear()

    def phase(self, *, scans: int | None = None, until: threading.Event | None = None) -> list[float]:
        """Scan `scans` picks each, or until `until` is set; the scan times of the phase."""
        errors: list[BaseException] = []
        marks = [len(s.scan_times) for s in self.scanners]

        def work(scanner: Scanner) -> None:
            try:
                done = 0
                while scanner.picks and (done < scans if scans is not None else not until.is_set()):
                    scanner.confirm(scanner.picks.pop(0), retry_conflicts=True)
                    done += 1
            except BaseException as error:  # noqa: BLE001  (reported below)
                errors.append(error)

        workers = [threading.Thread(target=work, args=(s,)) for s in self.scanners]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        self.emptied = sum(1 for s in self.scanners if not s.picks)  # carts that ran out (reported)
        return [t for s, mark in zip(self.scanners, marks, strict=True) for t in s.scan_times[mark:]]


def _audit_job(app, supervisor_id: int, took: dict, done: threading.Event) -> None:
    from erp_core.extensions import db
    from erp_core.orders.bulk_jobs import start_audit_pending_job

    try:
        with app.app_context():
            start = time.perf_counter()
            job = start_audit_pending_job(user_id=supervisor_id)  # immediate queue: runs here, to the end
            took["seconds"] = time.perf_counter() - start
            took["job"] = job.id
            db.session.remove()
    finally:
        done.set()


def _check(app, job_id: int) -> dict:
    """Outcomes and the stock invariants after the job."""
    from sqlalchemy import func, select

    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockReservation
    from erp_core.jobs.models import Job
    from erp_core.orders.models import Order

    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", (job.status, job.error)
        statuses = dict(db.session.execute(select(Order.status, func.count()).join_from(Order, Order.channel)
                                           .where(Order.channel.has(code=CHANNEL)).group_by(Order.status)).all())
        held = select(StockReservation.sku_id, StockReservation.location_id,
                      func.sum(StockReservation.quantity).label("q")).group_by(
            StockReservation.sku_id, StockReservation.location_id).subquery()
        wrong = db.session.scalar(select(func.count()).select_from(Quant).outerjoin(
            held, (held.c.sku_id == Quant.sku_id) & (held.c.location_id == Quant.location_id)).where(
            (func.coalesce(held.c.q, 0) != Quant.reserved_quantity) | (Quant.reserved_quantity > Quant.quantity)))
        db.session.remove()
    assert statuses.get("pending", 0) == 0, statuses
    assert wrong == 0, f"{wrong} quants break the reservation invariants"
    return statuses


def measure(url: str, database: str, quick: bool, instance: Path) -> list[BenchResult]:
    count = 2000 if quick else 10_000
    idle_scans = 10 if quick else 20
    picks = 60 if quick else 200
    app = served_app(url, instance, {"HUEY_IMMEDIATE": True})
    seed_scan_floor(app, SCANNERS, picks)
    supervisor_id = seed_audit(app, count)
    with serving(app) as base:
        floor = Floor(base, app)
        idle = floor.phase(scans=idle_scans)
        done, took = threading.Event(), {}
        job = threading.Thread(target=_audit_job, args=(app, supervisor_id, took, done))
        job.start()
        during = floor.phase(until=done)
        job.join()
        idle += floor.phase(scans=idle_scans)
    assert "seconds" in took, "the audit job did not finish"
    statuses = _check(app, took["job"])
    rate = count / took["seconds"]
    p95_idle, p95_job = percentile(idle, 0.95), percentile(during, 0.95)
    params = {"database": database, "orders": count, "scanners": SCANNERS, "job_s": round(took["seconds"], 2),
              "scans_idle": len(idle), "scans_during": len(during),
              "idle_p50_ms": round(statistics.median(idle) * 1000, 1), "idle_p95_ms": round(p95_idle * 1000, 1),
              "job_p50_ms": round(statistics.median(during) * 1000, 1), "job_p95_ms": round(p95_job * 1000, 1),
              "carts_emptied": floor.emptied, "scan_conflicts_retried": sum(s.conflicts for s in floor.scanners),
              "outcomes": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())), "seed": SEED}
    print(f"   {database}: {count} orders in {took['seconds']:.2f} s = {rate:.0f} orders/s ({params['outcomes']}); "
          f"scan p95 {p95_job * 1000:.1f} ms during the job vs {p95_idle * 1000:.1f} ms idle "
          f"({len(during)} and {len(idle)} scans)")
    return [BenchResult("orders.audit", "orders_per_second", round(rate, 1), "scanners without a job", params),
            BenchResult("orders.audit", "scan_p95_ratio", round(p95_job / p95_idle, 2), "scanners without a job",
                        params)]


def run(quick: bool) -> list[BenchResult]:
    return on_both_databases(measure, "audit", quick)


if __name__ == "__main__":
    main_for(run)
