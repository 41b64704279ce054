"""Run every registered benchmark: `python -m bench` (full) or `python -m bench --quick`.

Prints one table and writes bench/out/results.json. A module that fails is reported and the rest
still run; the exit status is then non-zero.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from collections.abc import Sequence

from bench.common import BenchResult, parse_quick, print_table, write_results

# Each module exposes run(quick: bool) -> list[BenchResult]; add new subjects here
# (bench.wave, bench.imports, bench.labels, ...).
MODULES = [
    "bench.routing",
    "bench.batching",
    "bench.wave",
    "bench.imports",
    "bench.labels",
    "bench.scan",
    "bench.audit",
    "bench.board",
    "bench.scale",
]


def main(argv: Sequence[str] | None = None) -> int:
    quick = parse_quick(argv, description=__doc__)
    results: list[BenchResult] = []
    failed: list[str] = []
    for name in MODULES:
        print(f"== {name}{' (quick)' if quick else ''}")
        start = time.perf_counter()
        try:
            results.extend(importlib.import_module(name).run(quick))
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"   {name}: {time.perf_counter() - start:.1f} s")
    print()
    print_table(results)
    print(f"\nwrote {write_results(results)}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
