"""Races on one row of the office's records, run on SQLite and PostgreSQL: the same object changed by
two people (or two workers) at the same moment ends as one of them would leave it, never both, never
a 500.

- a job claimed by two consumers at once (a message delivered twice) runs once;
- one integrity repair approved by two admins at once is applied once (one move, one audit row);
- two admins saving different credentials of one shop at once both keep theirs (the row is locked)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests.concurrency import race, unexpected

TRIALS = 6


def test_a_job_claimed_by_two_consumers_at_once_runs_once(app, users, monkeypatch):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.jobs import services
    from erp_core.jobs.models import Job
    from erp_core.jobs.runner import execute_job

    runs: list[int] = []
    monkeypatch.setitem(services.KINDS, "test.count", services.JobKind("test.count", lambda job: runs.append(job.id)))
    for _ in range(TRIALS):
        with app.app_context(), atomic():
            job = Job(kind="test.count", args={}, user_id=users["admin"], permission="orders.audit",
                      title="count", result={})
            db.session.add(job)
            db.session.flush()
            job_id = job.id
        before = len(runs)
        outcomes = race(app, lambda j=job_id: execute_job(j, will_retry=False),
                        lambda j=job_id: execute_job(j, will_retry=False))
        assert not unexpected(outcomes), [str(o) for o in outcomes]
        assert sorted(o.value for o in outcomes) == ["done", "skipped"]
        assert len(runs) - before == 1
        with app.app_context():
            assert db.session.get(Job, job_id).attempts == 1


def test_one_repair_approved_by_two_admins_at_once_is_applied_once(app, world):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockMove
    from erp_core.ops.integrity import run_integrity_check
    from erp_core.ops.repair import apply_proposal

    for trial in range(1, TRIALS + 1):
        with app.app_context():
            with atomic():  # a quant 2 units above what its moves say
                db.session.execute(text("UPDATE quants SET quantity = quantity + 2 WHERE sku_id = :sku "
                                        "AND location_id = :loc"), {"sku": world["a"], "loc": world["sh_res"]})
            finding = next(f for f in run_integrity_check() if f.kind == "quant_vs_moves")
            proposal = next(p.id for p in finding.proposals if p.action == "correcting_move")
            moves = db.session.scalar(select(func.count(StockMove.id)))
            audits = db.session.scalar(text("SELECT count(*) FROM audit_events WHERE action = 'integrity.repair'"))
            db.session.remove()
        outcomes = race(app, lambda p=proposal: apply_proposal(p), lambda p=proposal: apply_proposal(p))
        assert not unexpected(outcomes), [str(o) for o in outcomes]
        assert sorted(o.kind for o in outcomes) == ["ok", "refused"], [str(o) for o in outcomes]
        refused = next(o for o in outcomes if o.kind == "refused")
        assert (refused.status, refused.code) in ((409, "finding_changed"), (409, "concurrent_update"))
        with app.app_context():
            assert db.session.scalar(select(func.count(StockMove.id))) == moves + 1
            assert db.session.scalar(
                text("SELECT count(*) FROM audit_events WHERE action = 'integrity.repair'")) == audits + 1
            assert [f.kind for f in run_integrity_check()] == []
            quant = db.session.scalar(select(Quant).filter_by(sku_id=world["a"], location_id=world["sh_res"]))
            # the quant is kept (the correcting move follows it): 5, and 2 more each trial
            assert quant.quantity == 5 + 2 * trial
            db.session.remove()


@pytest.fixture
def taobao_shop(app, monkeypatch):
    from erp_core.channels.shops import create_shop

    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ("eco.taobao.com",))
    with app.app_context():
        shop_id = create_shop("TB-R", "龙井茶旗舰店", "taobao", adapter="taobao",
                              feed_url="https://eco.taobao.com/router/rest",
                              credentials={"app_key": "K0", "app_secret": "S0", "session_key": "T0"}).id
    return shop_id


def test_two_admins_saving_different_credentials_of_one_shop_at_once_both_keep_theirs(app, taobao_shop):
    from erp_core.channels.shops import credentials_of, update_shop
    from erp_core.extensions import db

    for n in range(1, TRIALS + 1):
        outcomes = race(app, lambda n=n: bool(update_shop(taobao_shop, credentials={"app_key": f"K{n}"})),
                        lambda n=n: bool(update_shop(taobao_shop, credentials={"app_secret": f"S{n}"})))
        assert not unexpected(outcomes), [str(o) for o in outcomes]
        # both saved, or one was told to try again; never one saved over the other
        saved = [o for o in outcomes if o.ok]
        assert saved and all(o.code == "concurrent_update" for o in outcomes if not o.ok)
        with app.app_context():
            from erp_core.channels.models import Channel

            creds = credentials_of(db.session.get(Channel, taobao_shop))
            db.session.remove()
        if len(saved) == 2:
            assert (creds["app_key"], creds["app_secret"]) == (f"K{n}", f"S{n}"), creds
        assert creds["session_key"] == "T0"
