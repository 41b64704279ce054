"""What every benchmark shares: seeded inputs, interleaved A/B timing, results table and JSON.

The machines are shared and noisy, so nothing here asserts an absolute time. Timings run the
project (A) and its baseline (B) alternately, A B A B ..., take the median of each and report the
ratio; quality figures are deterministic for a seed and reported exactly. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import threading
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from wms.locations.geometry import Layout, PickPoint, henn_waescher_layout, storage_bins
from wms.picking.batching import Order

OUT_DIR = Path(__file__).resolve().parent / "out"
RESULTS_FILE = OUT_DIR / "results.json"
MIN_REPEATS = 3


@dataclass(frozen=True)
class BenchResult:
    """One line of results.json: a metric of one benchmark against the baseline named."""

    name: str
    metric: str
    value: float
    baseline: str | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    """Medians of interleaved runs of the project (a) and its baseline (b), in seconds."""

    a: float
    b: float
    repeats: int

    @property
    def ratio(self) -> float:
        return self.a / self.b if self.b else float("inf")


def interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int = MIN_REPEATS) -> Timing:
    """Time a and b alternately after one warm-up each; medians of at least three runs."""
    repeats = max(repeats, MIN_REPEATS)
    a()
    b()
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(repeats):
        for fn, sink in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return Timing(statistics.median(times_a), statistics.median(times_b), repeats)


def median_time(fn: Callable[[], object], repeats: int = MIN_REPEATS) -> float:
    """Median wall time of fn in seconds, after one warm-up run."""
    fn()
    times = []
    for _ in range(max(repeats, MIN_REPEATS)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- seeded inputs -----------------------------------------------------------------------------


class Warehouse:
    """A Henn & Wäscher-style layout stocked at random, one SKU per bin, with Zipf popularity.

    SKU k (1-based, by popularity) is drawn with weight 1 / k**zipf_exponent; with 900 SKUs and an
    exponent of 1 the top 20% of SKUs get about 78% of the lines, the usual ABC picture. Storage is
    random (Henn & Wäscher's assumption), so popular SKUs are scattered over the whole area.
    """

    def __init__(self, seed: int, blocks: int = 1, zipf_exponent: float = 1.0) -> None:
        self.layout: Layout = henn_waescher_layout(blocks=blocks)
        bins = list(storage_bins(self.layout))
        rng = random.Random(f"slotting-{seed}-{blocks}")
        rng.shuffle(bins)
        self.sku_bins: list[PickPoint] = bins
        self._cumulative = list(accumulate(1.0 / (k**zipf_exponent) for k in range(1, len(bins) + 1)))

    def _draw_skus(self, rng: random.Random, lines: int) -> list[int]:
        total = self._cumulative[-1]
        chosen: dict[int, None] = {}
        while len(chosen) < lines:
            chosen.setdefault(bisect_left(self._cumulative, rng.random() * total), None)
        return list(chosen)

    def pick_list(self, rng: random.Random, lines: int) -> list[PickPoint]:
        """Distinct SKUs drawn by popularity, as the pick points of their bins."""
        return [self.sku_bins[k] for k in self._draw_skus(rng, lines)]

    def pick_lists(self, seed: int, lines: int, count: int) -> list[list[PickPoint]]:
        rng = random.Random(f"picklists-{seed}-{lines}")
        return [self.pick_list(rng, lines) for _ in range(count)]

    def orders(self, seed: int, count: int, lines: tuple[int, int] = (5, 25)) -> list[Order]:
        """Orders of 5-25 lines, one item a line, so an order's size is its number of lines."""
        rng = random.Random(f"orders-{seed}-{count}")
        out = []
        for n in range(count):
            picks = self.pick_list(rng, rng.randint(*lines))
            out.append(Order(id=f"SO{n + 1:05d}", picks=tuple(picks), size=len(picks)))
        return out


# --- reporting ---------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.3e}"


def print_table(results: Sequence[BenchResult]) -> None:
    rows = [
        (r.name, r.metric, _fmt(r.value), r.baseline or "-", ", ".join(f"{k}={v}" for k, v in r.params.items()))
        for r in results
    ]
    head = ("name", "metric", "value", "baseline", "params")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*head).rstrip())
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row).rstrip())


def write_results(results: Sequence[BenchResult], path: Path = RESULTS_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmarks": [asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def parse_quick(argv: Sequence[str] | None = None, description: str = "") -> bool:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    return parser.parse_args(argv).quick


def main_for(run: Callable[[bool], list[BenchResult]], argv: Sequence[str] | None = None) -> None:
    """Entry point of a benchmark module run alone: run, print the table, write results.json."""
    quick = parse_quick(argv)
    results = run(quick)
    print()
    print_table(results)
    print(f"\nwrote {write_results(results)}")


def _app_with_environment(settings: dict[str, str], overrides: dict):
    """create_app with `settings` in the environment for that call only (the configuration is read
    once, at creation), then put back as it was, so one benchmark's database never leaks into the
    next; the schema made by the migrations."""
    from flask_migrate import upgrade

    from wms.app import create_app

    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        app = create_app(overrides)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    with app.app_context():
        upgrade()
    return app


def app_on(url: str, instance: Path, overrides: dict | None = None):
    """The real app on the database at `url`, its schema made by the migrations."""
    return _app_with_environment({"DATABASE_URL": url, "WMS_INSTANCE_DIR": str(instance),
                                  "SECRET_KEY": "bench-only-secret"}, {"TESTING": True, **(overrides or {})})


def migrated_app(database: Path, instance: Path):
    """The real app on a fresh SQLite file, its schema made by the migrations."""
    return _app_with_environment({"DATABASE_URL": f"sqlite:///{database}", "WMS_INSTANCE_DIR": str(instance),
                                  "SECRET_KEY": "bench-only-secret"}, {"TESTING": True})


# --- the floor over HTTP (scan.roundtrip, orders.audit) ---------------------------------------------

SCAN_PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway database)
LINES_PER_ORDER = 5
SCAN_WAREHOUSE = "SC1"


@dataclass(frozen=True)
class Pick:
    task_id: int
    bin: str
    item: str
    slot: str


def served_app(url: str, instance: Path, config: dict | None = None):
    """The real app on `url` (migrated), configured as a server: the floor's login limit lifted, CSRF
    without the HTTPS referer check (plain HTTP on 127.0.0.1); `config` adds to it."""
    return _app_with_environment({"DATABASE_URL": url, "WMS_INSTANCE_DIR": str(instance),
                                  "SECRET_KEY": "bench-only-secret"},
                                 {"LOGIN_RATE_LIMIT": "100000 per minute", "WTF_CSRF_SSL_STRICT": False,
                                  **(config or {})})


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
                create_user(f"picker{n:02d}", SCAN_PASSWORD, "picker")
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


def seed_scan_floor(app, scanners: int, picks_per_scanner: int) -> None:
    """The scan floor: each of `scanners` pickers gets a cart of `picks_per_scanner` picks."""
    seed_pick_floor(app, pickers=scanners, units_per_picker=picks_per_scanner, cart_items=picks_per_scanner)


def cart_of(app, username: str) -> list[Pick]:
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
        answer = self.http.post(f"{base}/login", data={"username": username, "password": SCAN_PASSWORD,
                                                       "csrf_token": token}, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:300]
        page = self.http.get(f"{base}/picking/pick").text  # claims the picker's cart
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        self.picks: list[Pick] = []
        self.scan_times: list[float] = []
        self.ping_times: list[float] = []
        self.conflicts = 0

    def ping(self) -> None:
        start = time.perf_counter()
        answer = self.http.get(f"{self.base}/m/ping")
        self.ping_times.append(time.perf_counter() - start)
        assert answer.status_code == 200

    def confirm(self, pick: Pick, *, retry_conflicts: bool = False) -> None:
        """Send the pick's confirming scan; with `retry_conflicts`, a 409 "try again" is sent again, as
        the handheld's user would (counted in `conflicts`; the time is until the scan went through)."""
        data = {"task_id": pick.task_id, "bin": pick.bin}
        if pick.slot:
            data |= {"item": pick.item, "qty": "1", "code": pick.slot}
        else:
            data |= {"code": pick.item}
        headers = {"X-CSRFToken": self.token, "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex,
                   "Referer": f"{self.base}/picking/pick"}
        start = time.perf_counter()
        answer = self.http.post(f"{self.base}/picking/pick/scan", data=data, headers=headers)
        while retry_conflicts and answer.status_code == 409:
            self.conflicts += 1
            headers["Idempotency-Key"] = uuid.uuid4().hex
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def postgres_base() -> str | None:
    return (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL") or "").strip() or None


def on_both_databases(measure: Callable[[str, str, bool, Path], list[BenchResult]], prefix: str,
                      quick: bool) -> list[BenchResult]:
    """`measure` on a fresh SQLite file, then on a temporary PostgreSQL database when one is reachable
    (and BENCH_SQLITE_ONLY is not set)."""
    import tempfile

    results = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as tmp:
        results += measure(f"sqlite:///{Path(tmp) / f'{prefix}.db'}", "sqlite", quick, Path(tmp) / "instance")
        if postgres_base() and not os.environ.get("BENCH_SQLITE_ONLY"):
            results += on_postgres(measure, prefix, quick, Path(tmp) / "instance-pg")
    return results


def on_postgres(measure: Callable[[str, str, bool, Path], list[BenchResult]], prefix: str, quick: bool,
                instance: Path) -> list[BenchResult]:
    """`measure(url, "postgresql", quick, instance)` on a temporary database of the server that
    BENCH_POSTGRES_URL or TEST_POSTGRES_URL names (dropped afterwards); [] when it is not reachable."""
    import psycopg

    base = postgres_base()
    name = f"wms_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(base, autocommit=True)
    except Exception as error:  # noqa: BLE001  (no server: say so and go on with SQLite's figures)
        print(f"   postgresql: not reachable at {base} ({error}); skipped")
        return []
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
        return measure(url, "postgresql", quick, instance)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def serving(app) -> Iterator[str]:
    """The app under a threaded WSGI server (werkzeug's, in this process, on a free port): yields its
    base URL; shut down and its connections closed afterwards."""
    from werkzeug.serving import make_server

    from erp_core.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def postgres_database(prefix: str, base: str | None = None):
    """A scratch database on the PostgreSQL server `base` (default postgres_base()) for the duration:
    its SQLAlchemy URL, or None when no server answers (said on stdout). Dropped afterwards."""
    import uuid

    import psycopg

    base = base or postgres_base()
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except Exception as error:  # noqa: BLE001  (no server: the caller says so and goes on)
        print(f"   postgresql: not reachable at {base} ({error})")
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
