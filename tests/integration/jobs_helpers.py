"""A real job consumer for the crash tests: ``huey_consumer wms.worker.huey`` on a SqliteHuey file, the
app on the test database; the test process queues into the same file. Killed with SIGKILL, restarted.
And the order files they import."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import ROOT, Process, child_env, consumer_argv, wait_for  # noqa: F401  (ROOT, wait_for: for the tests)


class Consumer(Process):
    """``huey_consumer wms.worker.huey`` (one thread worker, quick polling) on the test database."""

    def __init__(self, app, folder: Path, **settings: str) -> None:
        self.app, self.folder = app, folder
        self.huey_file = folder / "huey.db"
        env = child_env(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], HUEY_SQLITE_FILE=str(self.huey_file),
                        HUEY_IMMEDIATE="0", WMS_INSTANCE_DIR=os.environ["WMS_INSTANCE_DIR"], **settings)
        super().__init__(consumer_argv(), env, folder / "consumer.log")


@contextmanager
def queue_in(huey_file: Path, monkeypatch):
    """This process's queue pointed at a consumer's SqliteHuey file (what it enqueues, it consumes)."""
    from huey.storage import SqliteStorage

    from erp_core.jobs.queue import NAME, huey

    saved = huey.storage
    monkeypatch.setattr(huey, "_immediate", False)
    huey.storage = SqliteStorage(NAME, filename=str(huey_file))
    try:
        yield huey
    finally:
        huey.storage = saved


#: The consumer's settings beyond the crash tests' defaults (a test module may override this fixture).
@pytest.fixture
def consumer_settings() -> dict[str, str]:
    return {}


@pytest.fixture
def consumer(app, tmp_path, monkeypatch, consumer_settings):
    """The consumer (not started yet), and this process's queue pointed at its SqliteHuey file."""
    running = Consumer(app, tmp_path, **{"JOBS_STALL_SECONDS": "1", "JOBS_CHUNK_ORDERS": "100",
                                         "JOBS_CHUNK_SECONDS": "0.2", **consumer_settings})
    with queue_in(running.huey_file, monkeypatch):
        yield running
        running.stop()


def job_row(app, job_id: int) -> dict:
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        row = {c.name: getattr(job, c.name) for c in Job.__table__.c}
        db.session.remove()
    return row


ORDERS_CSV_HEADER = ("order_no,order_date,paid_at,buyer_id,buyer_name,phone,province,city,district,address,postcode,"
                     "country,sku,quantity,unit_price,shipping_fee,buyer_note,seller_note\n")


def orders_csv(count: int, prefix: str = "CR", sku: str = "TEA-LJ-250") -> bytes:
    """An order file in the generic template: ``count`` one-line orders ``<prefix><n:06d>`` of one ``sku``."""
    rows = [f"{prefix}{n:06d},2026-11-20 09:12:00,2026-11-20 09:15:30,b{n},张{n},138{n:08d},浙江省,杭州市,西湖区,"
            f"文三路478号华星时代广场A座{n},310012,CN,{sku},1,128.00,0.00,,\n" for n in range(count)]
    return (ORDERS_CSV_HEADER + "".join(rows)).encode("utf-8")
