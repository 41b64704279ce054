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
import statistics
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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


def app_on(url: str, instance: Path, overrides: dict | None = None):
    """The real app on the database at `url`, its schema made by the migrations.

    The configuration is read once, by create_app, from the environment: it is set for that call
    and then put back as it was, so one benchmark's database never leaks into the next.
    """
    from flask_migrate import upgrade

    from wms.app import create_app

    settings = {"DATABASE_URL": url, "WMS_INSTANCE_DIR": str(instance), "SECRET_KEY": "bench-only-secret"}
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


def migrated_app(database: Path, instance: Path):
    """The real app on a fresh SQLite file, its schema made by the migrations."""
    return app_on(f"sqlite:///{database}", instance, {"TESTING": True})


def postgres_base() -> str | None:
    """The PostgreSQL server the benchmarks may use: BENCH_POSTGRES_URL, else TEST_POSTGRES_URL."""
    return (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL") or "").strip() or None


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
