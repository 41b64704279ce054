"""The integrity check (数据校验): each kind of corruption, made here by raw SQL, is found with its rows
and a repair proposal; applying the approved proposal (admin page, CLI) makes the check clean; a
proposal whose finding changed meanwhile is refused and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import BACKEND, page_csrf

pytestmark = pytest.mark.timeout(300)


def _sql(statement: str, **params) -> None:
    from erp_core.db import atomic
    from erp_core.extensions import db

    with atomic():
        db.session.execute(text(statement), params)


def _quant_id(sku_id: int, location_id: int) -> int:
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    return db.session.scalar(select(Quant.id).filter_by(sku_id=sku_id, location_id=location_id))


def _findings():
    from erp_core.db import end_transaction
    from erp_core.extensions import db
    from erp_core.ops.integrity import run_integrity_check

    end_transaction()  # a fresh read: raw writes on other connections are seen
    db.session.expire_all()
    return run_integrity_check()


def _only(kind: str):
    found = [f for f in _findings() if f.kind == kind]
    assert len(found) == 1, _findings()
    return found[0]


def test_a_sound_ledger_has_no_findings(app, world):
    with app.app_context():
        assert _findings() == []


def test_a_quant_that_differs_from_its_moves_is_set_back_to_the_moves_sum(app, world):
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant
    from erp_core.ops.repair import apply_proposal

    with app.app_context():
        # given a quant 3 units above what its moves say
        _sql("UPDATE quants SET quantity = quantity + 3 WHERE id = :id", id=_quant_id(world["a"], world["sh_pick"]))
        # when the check runs
        finding = _only("quant_vs_moves")
        # then it names the SKU, the bin, both numbers, and proposes both repairs
        assert finding.details["quantity"] == 13 and finding.details["moves"] == 10
        assert finding.rows[0].endpoint == "stock.sku" and finding.rows[0].args == {"code": "A"}
        assert [p.action for p in finding.proposals] == ["set_quant", "correcting_move"]
        # and the approved repair makes the check clean
        apply_proposal(finding.proposals[0].id)
        assert _findings() == []
        assert db.session.get(Quant, _quant_id(world["a"], world["sh_pick"])).quantity == 10


def test_a_correcting_move_makes_the_moves_sum_to_the_quant(app, world):
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockMove
    from erp_core.ops.repair import apply_proposal

    with app.app_context():
        _sql("UPDATE quants SET quantity = quantity - 2 WHERE id = :id", id=_quant_id(world["a"], world["sh_res"]))
        finding = _only("quant_vs_moves")
        done = apply_proposal(next(p.id for p in finding.proposals if p.action == "correcting_move"))
        assert "correcting move" in done
        assert _findings() == []
        assert db.session.get(Quant, _quant_id(world["a"], world["sh_res"])).quantity == 3
        move = db.session.scalars(select(StockMove).order_by(StockMove.id.desc())).first()
        assert (move.quantity, move.reason, move.from_location_id) == (2, "adjustment", world["sh_res"])
        assert move.note.startswith("integrity repair")


def test_reserved_units_without_reservations_are_recomputed_from_the_rows(app, world):
    from erp_core.ops.repair import apply_proposal

    with app.app_context():
        _sql("UPDATE quants SET reserved_quantity = 2 WHERE id = :id", id=_quant_id(world["b"], world["sz_pick"]))
        finding = _only("reserved_vs_rows")
        assert (finding.details["reserved"], finding.details["rows"]) == (2, 0)
        apply_proposal(finding.proposals[0].id)
        assert _findings() == []


def test_a_cancelled_order_still_holding_reservations_has_them_released(app, world):
    from erp_core.ops.repair import apply_proposal
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order

    with app.app_context():
        # given a released order (its units reserved) cancelled behind the services' back
        order_id = make_order("IC-1", [("A", 2)])
        approve_order(order_id)
        _sql("UPDATE orders SET status = 'cancelled' WHERE id = :id", id=order_id)
        finding = _only("closed_order_reserved")
        assert finding.details == {"order": order_id, "status": "cancelled", "units": 2}
        assert finding.rows[0].args == {"order_id": order_id}
        # when the release is applied, then nothing is held and the check is clean
        assert "2 reserved units released" in apply_proposal(finding.proposals[0].id)
        assert _findings() == []


@pytest.mark.skipif(BACKEND != "sqlite", reason="the CHECK constraints cannot be bypassed on PostgreSQL")
def test_a_negative_quant_is_found_and_repaired_from_the_ledger(app, world):
    from erp_core.extensions import db
    from erp_core.ops.repair import apply_proposal

    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
            conn.execute(text("UPDATE quants SET quantity = -2 WHERE id = :id"),
                         {"id": _quant_id(world["a"], world["sh_pick"])})
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
        kinds = sorted(f.kind for f in _findings())
        assert kinds == ["impossible_quant", "quant_vs_moves"]
        apply_proposal(_only("quant_vs_moves").proposals[0].id)
        assert _findings() == []


def test_units_shipped_that_never_came_in_are_found(app, world):
    from erp_core.inventory.services import virtual_location

    with app.app_context():
        _sql("INSERT INTO stock_moves (sku_id, from_location_id, to_location_id, quantity, reason, reference, note,"
             " created_at) VALUES (:sku, :src, :dst, 4, 'ship', 'X', '', CURRENT_TIMESTAMP)",
             sku=world["b"], src=virtual_location("TRANSIT").id, dst=virtual_location("CUSTOMER").id)
        finding = _only("shipped_not_received")
        assert finding.details == {"sku": "B", "shipped": 4, "received": 3}
        assert finding.proposals == ()  # for a person to investigate


@pytest.mark.corrupts_stock
def test_a_lot_on_an_untracked_sku_is_found(app, world):
    with app.app_context():
        _sql("INSERT INTO lots (sku_id, lot_number, on_hold, hold_reason, short_dated_receipt, clearance_note,"
             " created_at) VALUES (:sku, 'L-X', false, '', false, '', CURRENT_TIMESTAMP)", sku=world["a"])
        _sql("UPDATE quants SET lot_id = (SELECT id FROM lots WHERE lot_number = 'L-X') WHERE id = :id",
             id=_quant_id(world["a"], world["sh_res"]))
        assert "lot_mismatch" in {f.kind for f in _findings()}


def test_a_proposal_whose_finding_changed_is_refused_and_changes_nothing(app, world):
    from erp_core.errors import Conflict
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant
    from erp_core.ops.repair import apply_proposal

    with app.app_context():
        quant_id = _quant_id(world["a"], world["sh_pick"])
        _sql("UPDATE quants SET quantity = quantity + 3 WHERE id = :id", id=quant_id)
        stale = _only("quant_vs_moves").proposals[0].id
        _sql("UPDATE quants SET quantity = quantity + 1 WHERE id = :id", id=quant_id)
        with pytest.raises(Conflict) as refused:
            apply_proposal(stale)
        assert refused.value.code == "finding_changed"
        db.session.expire_all()
        assert db.session.get(Quant, quant_id).quantity == 14
        apply_proposal(_only("quant_vs_moves").proposals[0].id)  # the fresh proposal applies
        assert _findings() == []


def test_two_approvals_of_one_proposal_at_once_apply_it_once(app, world):
    from erp_core.ops.repair import apply_proposal
    from tests.concurrency import race

    with app.app_context():
        _sql("UPDATE quants SET quantity = quantity + 3 WHERE id = :id", id=_quant_id(world["a"], world["sh_pick"]))
        proposal = _only("quant_vs_moves").proposals[1].id  # a correcting move: twice would be two moves
    outcomes = race(app, lambda: apply_proposal(proposal), lambda: apply_proposal(proposal))
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"], outcomes
    assert {o.code for o in outcomes if o.kind == "refused"} <= {"finding_changed", "concurrent_update"}
    with app.app_context():
        assert _findings() == []


def test_the_admin_page_lists_findings_and_applies_the_approved_repair(app, world, login_as):
    with app.app_context():
        _sql("UPDATE quants SET reserved_quantity = 1 WHERE id = :id", id=_quant_id(world["a"], world["sh_pick"]))
        proposal = _only("reserved_vs_rows").proposals[0].id
    client = login_as("admin")
    page = client.get("/admin/integrity").get_data(as_text=True)
    assert proposal in page and "/stock/sku/A" in page
    token = page_csrf(client, "/admin/integrity")
    answer = client.post("/admin/integrity/apply", data={"csrf_token": token, "proposal": proposal},
                         follow_redirects=True)
    assert 'id="integrity-clean"' in answer.get_data(as_text=True)
    again = client.post("/admin/integrity/apply", data={"csrf_token": token, "proposal": proposal},
                        follow_redirects=True)
    assert "changed since" in again.get_data(as_text=True)


def test_the_cli_lists_findings_with_their_repair_and_applies_it(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["integrity-check"]).exit_code == 0
    with app.app_context():
        _sql("UPDATE quants SET quantity = quantity + 1 WHERE id = :id", id=_quant_id(world["b"], world["sz_pick"]))
    listed = runner.invoke(args=["integrity-check"])
    assert listed.exit_code == 1 and "[quant_vs_moves]" in listed.output
    command = next(line for line in listed.output.splitlines() if "--apply set_quant:" in line)
    applied = runner.invoke(args=["integrity-check", "--apply", command.split("--apply ")[1].strip()])
    assert applied.exit_code == 0, applied.output
    assert runner.invoke(args=["integrity-check"]).exit_code == 0
