"""The README's API reference is the app's OpenAPI document as it is now (scripts/api_reference.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_api_reference_is_current():
    done = subprocess.run([sys.executable, "scripts/api_reference.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
