"""Jobs through the queue (immediate mode): bulk order actions as jobs, the jobs page and API, who sees
which job, retry and cancel, one job per idempotency key, the stalled-job reaper, short chunks."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import page_csrf

from .jobs_helpers import orders_csv
from .test_import_jobs import shop  # noqa: F401  (a fixture)


def _pending_orders(app, count: int) -> list[int]:
    from erp_core.channels.services import import_order_files
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        import_order_files("MANUAL", [("p.csv", orders_csv(count, prefix="Q"))])
        ids = list(db.session.scalars(select(Order.id).order_by(Order.id)))
        db.session.remove()
    return ids


def _job(app, job_id: int):
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.remove()
    return job


def test_the_audit_pending_button_queues_a_job_whose_page_shows_it_done(app, login_as, shop):  # noqa: F811
    ids = _pending_orders(app, 30)
    client = login_as("supervisor")
    response = client.post("/orders/audit-pending", data={"csrf_token": page_csrf(client, "/orders/")})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = _job(app, job_id)
    assert (job.status, job.progress_done, job.progress_total, job.result["done"]) == ("done", 30, 30, 30)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "hx-trigger" not in page and 'data-status="done"' in page
    assert f'data-job="{job_id}"' in client.get("/jobs/").get_data(as_text=True)
    assert len(ids) == 30


def test_a_bulk_hold_with_the_same_orders_twice_is_one_job(app, login_as, shop):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    ids = _pending_orders(app, 3)
    client = login_as("supervisor")
    data = {"csrf_token": page_csrf(client, "/orders/"), "action": "hold", "reason": "call buyer", "order_id": ids}
    first = client.post("/orders/bulk", data=data).headers["Location"]
    second = client.post("/orders/bulk", data=data).headers["Location"]
    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count(Job.id))) == 1
        db.session.remove()


def test_a_job_is_visible_only_to_holders_of_its_actions_permission(app, login_as, shop, users):  # noqa: F811
    from erp_core.orders.bulk_jobs import start_bulk_job

    ids = _pending_orders(app, 2)
    with app.test_request_context():
        job_id = start_bulk_job("audit", ids, user_id=users["supervisor"]).id
    viewer = login_as("viewer")  # may see orders, may not audit them
    assert f'data-job="{job_id}"' not in viewer.get("/jobs/").get_data(as_text=True)
    assert viewer.get(f"/jobs/{job_id}").status_code == 404
    assert viewer.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert viewer.get("/api/v1/jobs").get_json()["total"] == 0
    viewer.post("/logout", data={"csrf_token": page_csrf(viewer, "/jobs/")})
    admin = login_as("admin")
    listed = admin.get("/api/v1/jobs").get_json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "done"
    assert admin.get(f"/api/v1/jobs/{job_id}").get_json()["progress_done"] == 2


def test_a_failing_job_is_failed_with_its_error_and_can_be_retried(app, login_as, shop, users, monkeypatch):  # noqa: F811
    from erp_core.jobs.services import KINDS, JobKind, enqueue

    calls = []

    def flaky(job):
        calls.append(job.attempt)
        if len(calls) == 1:
            raise RuntimeError("printer on fire")
        return {"ok": True}

    monkeypatch.setitem(KINDS, "test.flaky", JobKind("test.flaky", flaky))
    with app.test_request_context():
        job_id = enqueue("test.flaky", {}, user_id=users["supervisor"], permission="orders.audit").id
    failed = _job(app, job_id)
    assert failed.status == "failed" and "printer on fire" in failed.error and failed.finished_at
    client = login_as("supervisor")
    assert "Retry" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    client.post(f"/jobs/{job_id}/retry", data={"csrf_token": page_csrf(client, f"/jobs/{job_id}")})
    done = _job(app, job_id)
    assert done.status == "done" and done.result == {"ok": True} and done.attempts == 2 and calls == [1, 2]


def test_a_cancelled_job_stops_at_its_next_progress_report(app, shop, users, monkeypatch):  # noqa: F811
    from erp_core.jobs.services import KINDS, JobKind, cancel_job, enqueue

    def cancels_itself(job):
        job.progress(1, 3)
        cancel_job(job.id)  # as a person pressing Cancel meanwhile
        job.progress(2, 3)
        raise AssertionError("not reached")

    monkeypatch.setitem(KINDS, "test.cancel", JobKind("test.cancel", cancels_itself))
    with app.test_request_context():
        job_id = enqueue("test.cancel", {}, user_id=None, permission="orders.audit").id
    job = _job(app, job_id)
    assert job.status == "cancelled" and job.progress_done == 1


def test_the_reaper_requeues_a_job_whose_worker_died_and_fails_it_after_too_many_attempts(app, shop, users):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.jobs.models import Job
    from erp_core.jobs.runner import reap_stalled_jobs
    from erp_core.models_base import utcnow

    ids = _pending_orders(app, 5)
    long_ago = utcnow() - timedelta(hours=1)
    with app.app_context():
        # given two jobs left running by a killed consumer, one of them on its last attempt
        resumable = Job(kind="orders.bulk", permission="orders.audit", status="running", attempts=1,
                        heartbeat_at=long_ago, args={"action": "audit", "order_ids": ids, "kwargs": {}},
                        progress_total=5, result={"position": 2, "done": 2, "refused_count": 0})
        hopeless = Job(kind="orders.bulk", permission="orders.audit", status="running", attempts=5,
                       heartbeat_at=long_ago, args={"action": "audit", "order_ids": [], "kwargs": {}})
        db.session.add_all([resumable, hopeless])
        db.session.commit()
        resumable_id, hopeless_id = resumable.id, hopeless.id
        # when the reaper runs
        counts = reap_stalled_jobs()
        db.session.remove()
    # then the first is resumed after its committed position (orders 3-5 audited) and the second failed
    assert counts["requeued"] == 1 and counts["failed"] == 1
    resumed, given_up = _job(app, resumable_id), _job(app, hopeless_id)
    assert resumed.status == "done" and resumed.result["done"] == 5 and resumed.attempts == 2
    assert given_up.status == "failed" and "worker stopped" in given_up.error


def test_a_bulk_audit_commits_in_short_chunks(app, shop, users, monkeypatch):  # noqa: F811
    from erp_core.jobs import runner
    from erp_core.orders.bulk_jobs import start_audit_pending_job

    _pending_orders(app, 400)
    reports: list[float] = []
    original = runner.JobRun.progress

    def timed(self, done, total=None, /, **state):
        reports.append(time.monotonic())
        return original(self, done, total, **state)

    monkeypatch.setattr(runner.JobRun, "progress", timed)
    started = time.monotonic()
    with app.test_request_context():
        job_id = start_audit_pending_job(user_id=users["supervisor"]).id
    # each chunk is one transaction from its start to its progress report: the longest stays short
    chunks = [b - a for a, b in zip([started, *reports], reports, strict=False)]
    assert len(chunks) >= 2 and max(chunks) < 0.6, chunks
    assert _job(app, job_id).result["done"] == 400
