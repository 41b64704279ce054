"""Real child processes for the crash tests (the job consumer, the gunicorn server): started in a
session of their own, so SIGKILL reaches the whole process group at once (gunicorn's master and its
worker die together, as in a power cut), and only what the test started is ever signalled."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


class ChildProcess:
    """One command, restartable; its output appended to ``log``."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.argv, self.env, self.log, self.cwd = argv, env, log, cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own program, an argument list)
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process group: no clean shutdown, whatever was in flight is lost."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, child: ChildProcess, limit_s: float = 120.0) -> float:
    """Poll ``url`` until it answers (any status below 500); the seconds it took."""
    import requests

    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if not child.running:
            raise AssertionError(f"{child.argv[0]} exited with {child.process.returncode}\n{child.output()}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {limit_s:.0f} s\n{child.output()}")
