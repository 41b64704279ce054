"""Crash and resume of the floor's jobs with a REAL consumer (huey_consumer killed with SIGKILL mid-job,
then restarted): a bin label sheet, a wave's waybills, a release of many orders. Each ends done, with
one file, and nothing released twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from .jobs_helpers import consumer, job_row  # noqa: F401  (a fixture)
from .test_floor_jobs import _job_of, _pages, _release_through_the_page
from .test_jobs_crash import _kill_mid_job_then_resume
from .test_label_routes import desk  # noqa: F401  (a fixture)
from .test_picking import floor as picking_floor  # noqa: F401  (a fixture)
from .test_plan_and_labels import floor  # noqa: F401  (a fixture)


@pytest.fixture
def consumer_settings() -> dict[str, str]:
    """Documents laid out a label or a shipment at a time, so the kill falls between two parts."""
    return {"JOBS_DOCUMENT_PART": "1"}


def _only_file(app, job_id: int) -> bytes:
    from erp_core.jobs.services import files_dir

    with app.app_context():
        assert [p.name for p in files_dir().glob(f"job-{job_id}*")] == [f"job-{job_id}.pdf"]
        return (files_dir() / f"job-{job_id}.pdf").read_bytes()


def test_a_label_sheet_job_killed_mid_way_resumes_and_writes_one_file(
        app, consumer, floor, login_as, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "JOBS_LABELS_IMMEDIATE_MAX", 1)
    client = login_as("picker")
    job_id = _job_of(client.get(f"/locations/{floor['wh']}/labels?scope=zone&code=A&layout=thermal&lang=zh"))
    final = _kill_mid_job_then_resume(app, consumer, job_id)
    assert final["progress_done"] == 24 and _pages(_only_file(app, job_id)) == 24
    assert _pages(client.get(f"/jobs/{job_id}/file").data) == 24


def test_a_wave_waybills_job_killed_mid_way_resumes_and_writes_one_file(
        app, consumer, desk, login_as, monkeypatch):  # noqa: F811
    from erp_core.extensions import db
    from wms.picking.models import WaveOrder

    with app.app_context():
        wave_id, count = db.session.execute(select(WaveOrder.wave_id, func.count()).group_by(WaveOrder.wave_id)
                                            .order_by(func.count().desc(), WaveOrder.wave_id).limit(1)).one()
        db.session.remove()
    monkeypatch.setitem(app.config, "JOBS_DOCUMENTS_IMMEDIATE_MAX", 1)
    job_id = _job_of(login_as("packer").get(f"/shipping/waves/{wave_id}/waybills.pdf"))
    final = _kill_mid_job_then_resume(app, consumer, job_id)
    assert final["progress_done"] == count and _pages(_only_file(app, job_id)) == count


def test_a_release_job_killed_mid_way_resumes_and_releases_every_order_once(
        app, consumer, picking_floor, login_as, monkeypatch):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderLine
    from wms.picking.models import PickTask, Wave, WaveOrder

    monkeypatch.setitem(app.config, "JOBS_RELEASE_IMMEDIATE_MAX", 1)
    client = login_as("supervisor")
    # one order a cart: a step (a transaction) per cart, the kill falls between two of them
    job_id = _job_of(_release_through_the_page(client, picking_floor["wh"], cart_items="6", cart_slots="1"))
    final = _kill_mid_job_then_resume(app, consumer, job_id)
    with app.app_context():
        placed = db.session.execute(select(WaveOrder.order_id, func.count()).group_by(WaveOrder.order_id)).all()
        assert sorted(placed) == sorted((order_id, 1) for order_id in picking_floor["orders"])
        assert set(db.session.scalars(select(Wave.status))) == {"released"}
        assert set(db.session.scalars(select(Order.status).where(Order.id.in_(picking_floor["orders"])))) == {
            "picking"}
        # each order's lines are on the lists once: the tasks' units are the orders' units
        tasks = db.session.scalar(select(func.sum(PickTask.quantity)))
        units = db.session.scalar(select(func.sum(OrderLine.quantity)).where(
            OrderLine.order_id.in_(picking_floor["orders"])))
        db.session.remove()
    assert tasks == units == 13 and final["result"]["orders"] == 6
