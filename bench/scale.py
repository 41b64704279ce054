"""scale.orders: time per order of import + audit + wave release with 1k, 10k and 100k orders already
in the database, against the same with 1k (no step may grow with the history).

The floor: one warehouse (10 aisles x 50 bays, one SKU per bin, 500 SKUs from bench/imports.py's
catalog, each received through the ledger); the shop of the import benchmark. The history, written
with bulk inserts (SQLAlchemy Core executemany, not timed): N past orders of the same shop (90%
shipped, 10% cancelled), 2 lines each, a ship move (bin -> customer) per line of the shipped ones,
an order event each, their buyers as customer records; a third of the buyers of the new orders have
bought before (the same buyer ids and phones as past orders).

A run, timed per step (each on a fresh copy of its size's database, the copying not timed):
import a template CSV of new orders (`import_order_files`: parse, validate, customers matched,
orders, lines, history), audit them as the office's 'audit pending' job does (`start_audit_pending_job`
then the job's run: rules, duplicate check against the buyer's open orders, stock, allocation), and
release them (`release_waves`: plan, batch, route, persist). Time per order = the three steps / new
orders. Sizes are interleaved (1k 10k 100k 1k ...), one warm-up each; medians; per_order_ratio =
largest / smallest (<= 1.3). Per-step figures are reported so a step that grows can be named.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import MIN_REPEATS, BenchResult, main_for, migrated_app
from bench.imports import CHANNEL, order_csv, sku_codes

SEED = 31
WAREHOUSE_CODE = "SCL"
STEPS = ("import", "audit", "release")
CHUNK = 5_000  # history rows per executemany


def _build(path: Path, history: int) -> None:
    """A migrated database with the floor, the catalog in stock, the shop and `history` past orders."""
    from sqlalchemy import select

    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.customers.models import Customer
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockMove
    from erp_core.inventory.services import create_warehouse, receive, virtual_location
    from erp_core.models_base import utcnow
    from erp_core.orders.models import Order, OrderEvent, OrderLine
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout

    app = migrated_app(path, path.parent / f"instance-{history}")
    with app.app_context():
        with atomic():
            wh = create_warehouse(WAREHOUSE_CODE, "Scale bench DC", province="上海")
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=10, bays_per_aisle=50, levels=1),)))
            bins = db.session.scalars(select(Location.id).filter_by(warehouse_id=wh.id, kind="bin")
                                      .order_by(Location.id)).all()
            channel = Channel(code=CHANNEL, name="Bench shop", platform="tmall")
            db.session.add(channel)
            sku_ids = []
            for code, bin_id in zip(sku_codes(), bins, strict=False):
                sku = create_sku(code, f"Bench item {code}")
                receive(sku.id, bin_id, 10_000, reference="bench")
                sku_ids.append((sku.id, bin_id))
            db.session.flush()
            channel_id, warehouse_id = channel.id, wh.id
        with atomic():
            customer_at = virtual_location("CUSTOMER").id
        rng = random.Random(f"scale-history-{SEED}")
        now = utcnow()
        buyers = max(1, history // 3)
        # The new orders' buyers are bench/imports.py's `wx_{n:06d}` / `13{n % 10}{n:08d}` for small n: the
        # past orders' buyers overlap them, so the duplicate check finds their (closed) orders.
        _bulk(Customer, [{"id": n + 1, "platform": "tmall", "buyer_id": f"wx_{n:06d}", "name": "张伟",
                          "phone": f"13{n % 10}{n:08d}", "first_channel_id": channel_id} for n in range(buyers)])
        for start in range(0, history, CHUNK):
            orders, lines, moves, events = [], [], [], []
            for n in range(start, min(history, start + CHUNK)):
                buyer = n % buyers
                shipped = n % 10 != 9
                at = now - timedelta(days=1 + n * 365 / max(history, 1), minutes=rng.randint(0, 600))
                orders.append({"id": n + 1, "channel_id": channel_id, "external_id": f"H{n:08d}",
                               "status": "shipped" if shipped else "cancelled", "customer_id": buyer + 1,
                               "warehouse_id": warehouse_id, "ship_name": "张伟",
                               "ship_phone": f"13{buyer % 10}{buyer:08d}",
                               "buyer_id": f"wx_{buyer:06d}", "ship_province": "浙江省", "ship_city": "杭州市",
                               "ship_address": "建设路1号", "ordered_at": at, "paid_at": at, "created_at": at,
                               "updated_at": at})
                for k in range(2):
                    sku_id, bin_id = sku_ids[rng.randrange(len(sku_ids))]
                    lines.append({"id": 2 * n + k + 1, "order_id": n + 1, "sku_id": sku_id, "quantity": 1,
                                  "unit_price": 19.9})
                    if shipped:
                        moves.append({"sku_id": sku_id, "from_location_id": bin_id, "to_location_id": customer_at,
                                      "quantity": 1, "reason": "ship", "reference": f"SHIP-H{n:08d}",
                                      "created_at": at})
                events.append({"order_id": n + 1, "kind": "shipped" if shipped else "cancelled", "created_at": at})
            _bulk(Order, orders)
            _bulk(OrderLine, lines)
            _bulk(StockMove, moves)
            _bulk(OrderEvent, events)
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as con:
        con.execute("ANALYZE")  # what a database that grew to this size would have (sqlite_stat1)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _bulk(model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    from erp_core.extensions import db

    if rows:
        db.session.execute(insert(model.__table__), rows)
        db.session.commit()


class Size:
    """One history size: its pristine database, and the app on the working copy."""

    def __init__(self, workdir: Path, history: int) -> None:
        self.history = history
        self.pristine = workdir / f"history-{history}.db"
        self.path = workdir / f"work-{history}.db"
        _build(self.pristine, history)
        self.app = None
        self.instance = workdir / f"instance-work-{history}"

    def fresh(self):
        """The app on a fresh copy of the pristine database (not timed)."""
        from erp_core.extensions import db

        if self.app is not None:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.path)
        if self.app is None:
            self.app = migrated_app(self.path, self.instance)
            self.app.config.update(JOBS_CHUNK_PAUSE_SECONDS=0)  # nobody else writes: no pause for them
        return self.app


def _one_run(size: Size, data: bytes, orders: int) -> dict[str, float]:
    from erp_core.channels.services import import_order_files
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse
    from erp_core.jobs.runner import execute_job
    from erp_core.orders.bulk_jobs import start_audit_pending_job
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    app = size.fresh()
    times: dict[str, float] = {}
    with app.app_context():
        warehouse_id = db.session.query(Warehouse.id).filter_by(code=WAREHOUSE_CODE).scalar()
        start = time.perf_counter()
        report = import_order_files(CHANNEL, [("orders.csv", data)])
        times["import"] = time.perf_counter() - start
        assert len(report.created) == orders and not report.errors, (len(report.created), report.errors[:3])
        start = time.perf_counter()
        job = start_audit_pending_job(user_id=None)
        status = execute_job(job.id, will_retry=False)
        times["audit"] = time.perf_counter() - start
        assert status == "done", status
        start = time.perf_counter()
        waves, plan = release_waves(warehouse_id, WaveRules(max_orders=10_000, max_lines=100_000))
        times["release"] = time.perf_counter() - start
        assert waves, "nothing released"
        times["released"] = sum(len(w.order_ids) for w in plan.waves)
        # The board's coalesced sender runs after the release; let it end before the file is replaced.
        time.sleep(float(app.config.get("BOARD_COALESCE_SECONDS", 0)) + 0.2)
        db.session.remove()
    return times


def run(quick: bool) -> list[BenchResult]:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    lines = 150 if quick else 300  # order lines of the new file (1-3 lines an order)
    repeats = MIN_REPEATS
    data = order_csv(lines, seed=SEED)
    with tempfile.TemporaryDirectory(prefix="bench-scale-", ignore_cleanup_errors=True) as tmp:
        built = {}
        for history in sizes:
            start = time.perf_counter()
            built[history] = Size(Path(tmp), history)
            print(f"   history of {history} orders built in {time.perf_counter() - start:.1f} s")
        orders = _count_orders(data)
        measured: dict[int, list[dict[str, float]]] = {h: [] for h in sizes}
        for repeat in range(repeats + 1):
            for history in sizes:
                times = _one_run(built[history], data, orders)
                if repeat:  # the first round is the warm-up
                    measured[history].append(times)
                print(f"   {history:>6} past orders: " + ", ".join(
                    f"{step} {times[step] * 1000 / orders:.2f} ms" for step in STEPS) + " an order")
        for size in built.values():
            _close(size)
    per_order = {h: statistics.median(sum(t[s] for s in STEPS) for t in runs) / orders for h, runs in measured.items()}
    steps = {h: {s: round(statistics.median(t[s] for t in runs) * 1000 / orders, 3) for s in STEPS}
             for h, runs in measured.items()}
    small, large = sizes[0], sizes[-1]
    params = {"database": "sqlite", "sizes": list(sizes), "new_orders": orders, "repeats": repeats, "seed": SEED}
    params |= {f"per_order_ms_{h}": round(per_order[h] * 1000, 3) for h in sizes}
    params |= {f"{s}_ms_{h}": steps[h][s] for h in sizes for s in STEPS}
    return [BenchResult("scale.orders", "per_order_ratio", round(per_order[large] / per_order[small], 3),
                        f"{small} past orders", params)]


def _count_orders(data: bytes) -> int:
    import csv
    import io

    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return len({row["order_no"] for row in rows})


def _close(size: Size) -> None:
    from erp_core.extensions import db

    if size.app is not None:
        with size.app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main_for(run)
