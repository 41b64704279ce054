"""The benchmarks that drive the app's services still run on the current code (their figures are for
`make bench`; this only proves they work, so a change cannot break them unseen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "sqlite", reason="the benchmarks build their own SQLite databases: once a run is enough")
@pytest.mark.parametrize(("module", "metric"), [("bench.wave", "ratio"), ("bench.imports", "ratio"),
                                                ("bench.labels", "speedup"), ("bench.scan", "p50_ratio")])
def test_the_benchmark_runs_on_the_current_code(module, metric, tmp_path):
    done = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                            "WMS_INSTANCE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert metric in done.stdout
