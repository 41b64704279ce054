"""Real processes for the tests that need them (a job consumer, gunicorn servers): bench/processes.py
starts and stops them; `wait_for` polls a condition and fails the test with their output."""

from __future__ import annotations

import time

import pytest

from bench.processes import (  # noqa: F401
    BIN,
    ROOT,
    Process,
    child_env,
    consumer_argv,
    consumer_process,
    free_port,
    server_process,
    wait_until_answering,
)


def wait_for(condition, what: str, *watched: Process, limit_s: float = 120.0):
    """Poll ``condition`` until it is truthy (bounded), returning its value; on failure the watched
    processes' output is shown."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    logs = "\n".join(f"--- {' '.join(p.argv[:2])}\n{p.output()}" for p in watched)
    pytest.fail(f"{what} did not happen in {limit_s:.0f} s\n{logs}")


def wait_for_http(url: str, child: Process, limit_s: float = 120.0) -> float:
    """Poll ``url`` until it answers (any status below 500); the seconds it took."""
    import requests

    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if not child.running():
            raise AssertionError(f"{child.argv[0]} exited with {child.process.returncode}\n{child.output()}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {limit_s:.0f} s\n{child.output()}")
