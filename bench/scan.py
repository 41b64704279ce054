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
from pathlib import Path

from bench.common import (
    SCAN_PASSWORD,
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
