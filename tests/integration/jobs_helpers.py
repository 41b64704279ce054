"""A real job consumer for the crash tests: ``huey_consumer wms.worker.huey`` on a SqliteHuey file, the
app on the test database; the test process queues into the same file. Killed with SIGKILL, restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = Path(sys.executable).with_name("huey_consumer")


class Consumer:
    def __init__(self, app, folder: Path, **settings: str) -> None:
        self.app, self.folder = app, folder
        self.huey_file = folder / "huey.db"
        self.env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "HUEY_SQLITE_FILE": str(self.huey_file), "HUEY_IMMEDIATE": "0", "WMS_INSTANCE_DIR":
                    os.environ["WMS_INSTANCE_DIR"], "PYTHONPATH": str(ROOT), **settings}
        self.process: subprocess.Popen | None = None
        self.log = folder / "consumer.log"

    def start(self) -> None:
        log = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own consumer, an argument list)
            [str(CONSUMER), "wms.worker.huey", "-w", "1", "-k", "thread", "-d", "0.05", "-m", "0.5"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, the running job's message is lost with the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


#: The consumer's settings beyond the crash tests' defaults (a test module may override this fixture).
@pytest.fixture
def consumer_settings() -> dict[str, str]:
    return {}


@pytest.fixture
def consumer(app, tmp_path, monkeypatch, consumer_settings):
    """The consumer (not started yet), and this process's queue pointed at its SqliteHuey file."""
    from huey.storage import SqliteStorage

    from erp_core.jobs.queue import NAME, huey

    running = Consumer(app, tmp_path, **{"JOBS_STALL_SECONDS": "1", "JOBS_CHUNK_ORDERS": "100",
                                         "JOBS_CHUNK_SECONDS": "0.2", **consumer_settings})
    saved = huey.storage
    monkeypatch.setattr(huey, "_immediate", False)
    huey.storage = SqliteStorage(NAME, filename=str(running.huey_file))
    yield running
    running.stop()
    huey.storage = saved


def wait_for(condition, what: str, consumer: Consumer | None = None, limit_s: float = 120.0):
    """Poll ``condition`` until it is truthy (bounded), returning its value."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"{what} did not happen in {limit_s:.0f} s\n" + (consumer.output() if consumer else ""))


def job_row(app, job_id: int) -> dict:
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        row = {c.name: getattr(job, c.name) for c in Job.__table__.c}
        db.session.remove()
    return row
