"""Crash and resume with a REAL consumer: huey_consumer killed with SIGKILL mid-job, then restarted.

The job ends done (never left running), and nothing is done twice: the orders are counted."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from tests.conftest import csrf_from

from .jobs_helpers import consumer, job_row, orders_csv, wait_for  # noqa: F401  (consumer is a fixture)
from .test_import_jobs import shop  # noqa: F401  (a fixture)

ORDERS = 12000


def _count(app, *where) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        found = db.session.scalar(select(func.count(Order.id)).where(*where))
        db.session.remove()
    return found


def _kill_mid_job_then_resume(app, consumer, job_id: int) -> dict:  # noqa: F811
    consumer.start()
    # when the consumer is killed once the job has committed some of its work, but not all of it
    row = wait_for(lambda: (r := job_row(app, job_id))["status"] == "running" and 0 < r["progress_done"]
                   < r["progress_total"] and r, "the job getting under way", consumer)
    consumer.kill()
    killed_at = job_row(app, job_id)
    assert killed_at["status"] == "running" and killed_at["progress_done"] < killed_at["progress_total"], (
        "the job finished before the kill: make it larger")
    time.sleep(1.5)  # the dead worker's heartbeat grows older than JOBS_STALL_SECONDS (1 s here)
    # and started again: it reaps the stalled job at start and resumes it
    consumer.start()
    final = wait_for(lambda: (r := job_row(app, job_id))["status"] in ("done", "failed") and r,
                     "the resumed job finishing", consumer)
    assert final["status"] == "done", (final["error"], consumer.output())
    assert final["attempts"] >= 2 and row["progress_done"] > 0
    return final


def test_an_import_killed_mid_way_resumes_and_stores_every_order_once(app, consumer, shop, users):  # noqa: F811
    from erp_core.channels.jobs import start_import_job
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    # given a large upload queued for a real consumer
    with app.test_request_context():
        import_job = start_import_job(shop["MANUAL"], [("big.csv", orders_csv(ORDERS))], user_id=users["supervisor"])
        import_id = import_job.id
        job_id = db.session.scalar(select(Job.id).where(Job.kind == "orders.import"))
        db.session.remove()
    final = _kill_mid_job_then_resume(app, consumer, job_id)
    # then every order is stored exactly once and the import says so
    assert _count(app) == ORDERS
    with app.app_context():
        done = db.session.get(ImportJob, import_id)
        assert (done.status, done.processed_orders, done.total_orders) == ("done", ORDERS, ORDERS)
        assert done.created_orders + done.duplicate_orders == ORDERS
        db.session.remove()
    assert final["progress_done"] == ORDERS and final["result"]["import_job_id"] == import_id


def _badge_logins_while(app, until: threading.Event, latencies: list[float]) -> None:
    while not until.is_set():
        client = app.test_client()  # a handheld that has just been picked up: nobody signed in
        page = client.get("/login").get_data(as_text=True)
        started = time.monotonic()
        response = client.post("/login/badge", data={"csrf_token": csrf_from(page), "b-badge": "BADGE-PICKER-01"})
        latencies.append(time.monotonic() - started)
        assert response.status_code == 302, response.status_code
        time.sleep(0.05)


def test_a_bulk_audit_killed_mid_way_resumes_audits_every_order_once_and_the_floor_logs_in_meanwhile(
        app, consumer, shop, users):  # noqa: F811
    from erp_core.channels.services import import_order_files
    from erp_core.extensions import db
    from erp_core.orders.bulk_jobs import start_audit_pending_job
    from erp_core.orders.models import Order, OrderEvent

    # given many pending orders and a bulk audit queued for a real consumer
    pending = 1500
    with app.app_context():
        import_order_files("MANUAL", [("pending.csv", orders_csv(pending, prefix="AU"))])
        db.session.remove()
    with app.test_request_context():
        job_id = start_audit_pending_job(user_id=users["supervisor"]).id
        db.session.remove()
    # while badge logins (a write each) go on against the same database
    stop, latencies = threading.Event(), []
    logins = threading.Thread(target=_badge_logins_while, args=(app, stop, latencies), daemon=True)
    logins.start()
    try:
        _kill_mid_job_then_resume(app, consumer, job_id)
    finally:
        stop.set()
        logins.join(30)
    # then no order is left pending and each was audited exactly once (one audit outcome event each)
    assert _count(app, Order.status == "pending") == 0
    with app.app_context():
        outcomes = db.session.execute(select(OrderEvent.order_id, func.count()).where(
            OrderEvent.kind.in_(("approved", "held", "rejected"))).group_by(OrderEvent.order_id)).all()
        db.session.remove()
    assert len(outcomes) == pending and {count for _, count in outcomes} == {1}
    # and the floor kept logging in: no login waited anywhere near the 15 s busy timeout
    assert latencies and max(latencies) < 1.5, sorted(latencies)[-5:]
