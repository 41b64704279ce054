"""A real job consumer for the crash tests: ``huey_consumer wms.worker.huey`` on a SqliteHuey file, the
app on the test database; the test process queues into the same file. Killed with SIGKILL, restarted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.processes import Process, child_env, consumer_argv, wait_for  # noqa: F401  (wait_for: for the tests)


class Consumer(Process):
    def __init__(self, app, folder: Path, **settings: str) -> None:
        self.app, self.folder = app, folder
        self.huey_file = folder / "huey.db"
        env = child_env(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], HUEY_SQLITE_FILE=str(self.huey_file),
                        HUEY_IMMEDIATE="0", WMS_INSTANCE_DIR=os.environ["WMS_INSTANCE_DIR"], **settings)
        super().__init__(consumer_argv(), env, folder / "consumer.log")


@pytest.fixture
def consumer(app, tmp_path, monkeypatch):
    """The consumer (not started yet), and this process's queue pointed at its SqliteHuey file."""
    from huey.storage import SqliteStorage

    from erp_core.jobs.queue import NAME, huey

    running = Consumer(app, tmp_path, JOBS_STALL_SECONDS="1", JOBS_CHUNK_ORDERS="100", JOBS_CHUNK_SECONDS="0.2")
    saved = huey.storage
    monkeypatch.setattr(huey, "_immediate", False)
    huey.storage = SqliteStorage(NAME, filename=str(running.huey_file))
    yield running
    running.stop()
    huey.storage = saved


def orders_csv(count: int, prefix: str = "CR") -> bytes:
    """`count` one-line orders (TEA-LJ-250 x 1) in the generic import template, numbered from `prefix`."""
    header = ("order_no,order_date,paid_at,buyer_id,buyer_name,phone,province,city,district,address,postcode,"
              "country,sku,quantity,unit_price,shipping_fee,buyer_note,seller_note\n")
    rows = [f"{prefix}{n:06d},2026-11-20 09:12:00,2026-11-20 09:15:30,b{n},张{n},138{n:08d},浙江省,杭州市,西湖区,"
            f"文三路478号华星时代广场A座{n},310012,CN,TEA-LJ-250,1,128.00,0.00,,\n" for n in range(count)]
    return (header + "".join(rows)).encode("utf-8")


def job_row(app, job_id: int) -> dict:
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        row = {c.name: getattr(job, c.name) for c in Job.__table__.c}
        db.session.remove()
    return row
