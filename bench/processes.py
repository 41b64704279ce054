"""Real processes (gunicorn servers, job consumers) for the load run and the tests that need them:
started with an argument list and their own environment, output kept in a log file, stopped (or
SIGKILLed) by whoever started them — never by name."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv's scripts: gunicorn, huey_consumer, locust


class Process:
    """One child process: `start`, `kill` (SIGKILL), `stop` (SIGTERM, then SIGKILL after a while)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = list(argv), env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """In a session of its own, so a signal reaches its whole process group (gunicorn's master and
        its workers together, as in a power cut), and only what was started here is ever signalled."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own programs, an argument list)
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL to the process group: no clean shutdown, whatever was in flight is lost with it."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.running():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def child_env(**settings: str) -> dict[str, str]:
    """This process's environment with the project on the path and `settings` on top."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **settings}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_process(port: int, env: dict[str, str], log: Path, threads: int = 32) -> Process:
    """One server process as the README's production launch runs it: one gthread worker whose threads
    carry the requests and the WebSockets (no control socket: several servers share a host)."""
    return Process([str(BIN / "gunicorn"), "-k", "gthread", "-w", "1", "--threads", str(threads),
                    "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"],
                   env, log)


def consumer_argv(workers: int = 1) -> list[str]:
    """One job consumer: ``huey_consumer wms.worker.huey`` with thread workers, polling often."""
    return [str(BIN / "huey_consumer"), "wms.worker.huey", "-w", str(workers), "-k", "thread", "-d", "0.05",
            "-m", "0.5"]


def consumer_process(env: dict[str, str], log: Path, workers: int = 1) -> Process:
    return Process(consumer_argv(workers), env, log)


def answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/login", timeout=5) as response:  # noqa: S310 (our own server)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_answering(bases: Sequence[str], processes: Sequence[Process], limit_s: float = 240.0) -> None:
    """Until every server answers its login page. Each process builds the app first: seconds of CPU,
    a while on a busy machine. A server that died or never answers raises, with the logs."""
    deadline = time.monotonic() + limit_s
    waiting = list(bases)
    while waiting:
        waiting = [base for base in waiting if not answers(base)]
        dead = [p for p in processes if p.process is not None and not p.running()]
        if waiting and (dead or time.monotonic() > deadline):
            logs = "\n".join(f"--- {' '.join(p.argv[:2])}\n{p.output()}" for p in (dead or processes))
            why = "a process died" if dead else "timeout"
            raise RuntimeError(f"{', '.join(waiting)} not answering ({why})\n{logs}")
        if waiting:
            time.sleep(0.5)
