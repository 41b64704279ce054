"""import.orders: importing a large order file end to end against raw sqlite3 inserts of the same rows.

A seeded CSV in our template format (orders of 1-3 lines over a 500-SKU catalog, repeat buyers, some
without a buyer id) is imported into a SQLite database made by the app's migrations with
``import_order_files``: parse, validate against the catalog, match customers, write orders, lines and
history. The baseline is the least any import could cost: the same orders and lines, already parsed
into tuples, written with ``sqlite3.executemany`` into an identical copy of the database (same tables,
constraints, indexes and pragmas), in one transaction.

Also reported: storing alone (``store_parsed_orders`` on already parsed orders) against the same
baseline, so the cost of parsing and the cost of storing can be told apart. Every run starts from the
same empty tables; the cleaning is not timed. Runs are interleaved A S B A S B ...; medians.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import MIN_REPEATS, BenchResult, Timing, main_for, migrated_app

SEED = 11
SKU_COUNT = 500
CHANNEL = "BENCH-SHOP"
HEADER = ("order_no", "order_date", "paid_at", "buyer_id", "buyer_name", "phone", "province", "city",
          "district", "address", "postcode", "country", "sku", "quantity", "unit_price", "shipping_fee",
          "buyer_note", "seller_note")
_PLACES = (("浙江省", "杭州市", "西湖区", "310012"), ("广东省", "深圳市", "南山区", "518057"),
           ("上海市", "上海市", "浦东新区", "200120"), ("北京市", "北京市", "朝阳区", "100020"),
           ("四川省", "成都市", "武侯区", "610041"), ("江苏省", "南京市", "鼓楼区", "210008"))
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞")


def sku_codes() -> list[str]:
    return [f"BK-{n:04d}" for n in range(1, SKU_COUNT + 1)]


def order_csv(lines: int, seed: int = SEED) -> bytes:
    """A template CSV of exactly ``lines`` order lines (UTF-8 with BOM, as the template is)."""
    rng = random.Random(f"import-orders-{seed}-{lines}")
    skus = sku_codes()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    written = number = 0
    while written < lines:
        number += 1
        count = min(rng.choice((1, 1, 1, 2, 2, 3)), lines - written)
        buyer = rng.randrange(lines // 3 + 1)
        province, city, district, postcode = _PLACES[buyer % len(_PLACES)]
        order = [f"BX{seed:02d}{number:08d}", "2026-11-20 09:12:00", "2026-11-20 09:15:30",
                 f"wx_{buyer:06d}" if buyer % 5 else "", _NAMES[buyer % len(_NAMES)],
                 f"13{buyer % 10}{buyer:08d}", province, city, district, f"建设路{buyer % 999 + 1}号{buyer % 30 + 1}楼",
                 postcode, "CN"]
        fee = f"{rng.choice((0, 0, 8, 10))}.00"
        note = rng.choice(("", "", "", "周末送货"))
        for sku in rng.sample(skus, count):
            writer.writerow([*order, sku, rng.randint(1, 4), f"{rng.randint(500, 30000) / 100:.2f}", fee, note, ""])
        written += count
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class _App:
    """The app on a temporary SQLite database built by the migrations, with the catalog and a shop."""

    def __init__(self, workdir: Path) -> None:
        from erp_core.catalog.services import create_sku
        from erp_core.channels.models import Channel
        from erp_core.extensions import db

        self.app = migrated_app(workdir / "app.db", workdir / "instance")
        with self.app.app_context():
            for code in sku_codes():
                create_sku(code, f"Bench item {code}")
            db.session.add(Channel(code=CHANNEL, name="Bench shop", platform="tmall"))
            db.session.commit()
            db.session.remove()
        self.path, self.pristine = workdir / "app.db", workdir / "pristine.db"
        with sqlite3.connect(self.path) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(self.path, self.pristine)

    def empty_orders(self) -> None:
        """Empty the order tables between runs (a plain connection without foreign-key checks: with
        them, deleting tens of thousands of orders checks every unindexed reference to each one)."""
        from erp_core.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        con = sqlite3.connect(self.path, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            for table in ("order_events", "order_lines", "orders", "customers"):
                con.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            con.execute("COMMIT")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()

    def import_file(self, data: bytes) -> int:
        from erp_core.channels.services import import_order_files
        from erp_core.extensions import db

        with self.app.app_context():
            report = import_order_files(CHANNEL, [("orders.csv", data)])
            db.session.remove()
        if report.errors:
            raise AssertionError(f"the benchmark file has errors: {report.errors[:3]}")
        return len(report.created)

    def parse(self, data: bytes):
        from erp_core.channels.services import parse_order_files
        from erp_core.extensions import db

        with self.app.app_context():
            result = parse_order_files([("orders.csv", data)])
            db.session.remove()
        return result

    def store(self, parsed: list) -> int:
        from erp_core.channels.services import ImportReport, channel_by_code, store_parsed_orders
        from erp_core.extensions import db

        with self.app.app_context():
            report = store_parsed_orders(channel_by_code(CHANNEL), parsed, ImportReport(format="template"))
            db.session.remove()
        return len(report.created)

    def close(self) -> None:
        from erp_core.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def ids(self) -> tuple[dict[str, int], int]:
        """SKU code -> id, and the shop's id, as the baseline needs them."""
        with sqlite3.connect(self.pristine) as con:
            skus = dict(con.execute("SELECT code, id FROM skus"))
            (channel_id,) = con.execute("SELECT id FROM channels WHERE code = ?", (CHANNEL,)).fetchone()
        return skus, channel_id


def _baseline_rows(parsed: list, sku_ids: dict[str, int], channel_id: int) -> tuple[list[tuple], list[tuple]]:
    """The same orders and lines as plain tuples, in the columns and text forms SQLite stores."""
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
    orders, lines = [], []
    for order_id, p in enumerate(parsed, start=1):
        total = sum(line.unit_price * line.quantity for line in p.lines)
        stamp = p.created_at.strftime("%Y-%m-%d %H:%M:%S.%f") if p.created_at else now
        paid = p.paid_at.strftime("%Y-%m-%d %H:%M:%S.%f") if p.paid_at else None
        orders.append((order_id, channel_id, p.external_id, "pending", "", None, None, p.name, p.phone, "CN",
                       p.province, p.city, p.district, p.address, p.postcode, p.buyer_note, p.seller_note,
                       p.currency, str(total), str(p.shipping_fee), stamp, paid, now, now, None, None, p.buyer_id))
        lines.extend((order_id, sku_ids[line.sku], line.quantity, str(line.unit_price), None, 0) for line in p.lines)
    return orders, lines


_ORDER_COLUMNS = ("id, channel_id, external_id, status, hold_reason, customer_id, warehouse_id, ship_name, ship_phone, "
                  "ship_country, ship_province, ship_city, ship_district, ship_address, ship_postcode, buyer_note, "
                  "seller_note, currency, goods_total, shipping_fee, ordered_at, paid_at, created_at, updated_at, "
                  "split_from_id, merged_into_id, buyer_id")
_LINE_COLUMNS = "order_id, sku_id, quantity, unit_price, parent_line_id, short_quantity"


class _Baseline:
    """Raw sqlite3 on a fresh copy of the same migrated database, with the app's pragmas."""

    def __init__(self, pristine: Path, workdir: Path, orders: list[tuple], lines: list[tuple]) -> None:
        self.pristine, self.path = pristine, workdir / "baseline.db"
        self.orders, self.lines = orders, lines
        self.con: sqlite3.Connection | None = None

    def reset(self) -> None:
        if self.con is not None:
            self.con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.path)
        self.con = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            self.con.execute(f"PRAGMA {pragma}")

    def insert(self) -> int:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" * len(self.orders[0]))
        con.executemany(f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES ({marks})", self.orders)  # noqa: S608
        con.executemany(f"INSERT INTO order_lines ({_LINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", self.lines)
        con.execute("COMMIT")
        return len(self.orders)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def interleaved_with_setup(runs: list[tuple[Callable[[], object], Callable[[], object]]],
                           repeats: int = MIN_REPEATS) -> list[float]:
    """Median seconds of each (setup, timed) pair, run in turn A B C A B C ... after one warm-up each;
    only the timed part is measured (every run starts from the same empty tables)."""
    repeats = max(repeats, MIN_REPEATS)
    times: list[list[float]] = [[] for _ in runs]
    for round_ in range(repeats + 1):
        for (setup, timed), sink in zip(runs, times, strict=True):
            setup()
            start = time.perf_counter()
            timed()
            if round_:  # round 0 warms up
                sink.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def run(quick: bool) -> list[BenchResult]:
    lines = 10_000 if quick else 100_000
    workdir = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    try:
        app = _App(workdir)
        data = order_csv(lines)
        parsed = app.parse(data)
        if parsed.errors:
            raise AssertionError(f"the benchmark file has errors: {parsed.errors[:3]}")
        orders, order_lines = _baseline_rows(parsed.orders, *app.ids())
        baseline = _Baseline(app.pristine, workdir, orders, order_lines)
        end_to_end, store_only, raw = interleaved_with_setup([
            (app.empty_orders, lambda: app.import_file(data)),
            (app.empty_orders, lambda: app.store(parsed.orders)),
            (baseline.reset, baseline.insert),
        ])
        baseline.close()
        app.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    params = {"lines": lines, "orders": len(orders), "skus": SKU_COUNT, "seed": SEED, "repeats": MIN_REPEATS}
    whole, storing = Timing(end_to_end, raw, MIN_REPEATS), Timing(store_only, raw, MIN_REPEATS)
    print(f"  {lines} lines, {len(orders)} orders: import {end_to_end:.3f} s (store alone {store_only:.3f} s), "
          f"raw sqlite3 {raw:.3f} s -> x{whole.ratio:.2f} (store alone x{storing.ratio:.2f})")
    return [
        BenchResult("import.orders", "seconds", end_to_end, None, params),
        BenchResult("import.orders", "time_ratio", whole.ratio, "raw sqlite3 executemany", params),
        BenchResult("import.orders", "store_seconds", store_only, None, params),
        BenchResult("import.orders", "store_time_ratio", storing.ratio, "raw sqlite3 executemany", params),
        BenchResult("import.orders", "baseline_seconds", raw, None, params),
    ]


if __name__ == "__main__":
    main_for(run)
