"""Every handheld scan flow through its real route, exactly as the handheld sends a scan (htmx, the
CSRF header, a fresh Idempotency-Key): a confirm that fails after its first write is answered with
the refusal and leaves every row of the database as it was; a replay of that scan answers the same
refusal and still changes nothing; the next good scan, with a new key, works.

The request wrapper (the idempotency layer) holds the outer transaction and commits the stored
answer, so what makes these pass is the service's own atomic() being a savepoint that rolls back
alone. Were it to join the outer transaction, the failed confirm's first writes would be committed
with the refusal.
"""

from __future__ import annotations

import html
import json
import uuid

import pytest
from sqlalchemy import func, select

from erp_core.errors import InsufficientStock, NotFound
from tests.conftest import page_csrf
from tests.integration.test_cycle_counts import bin_count, store  # noqa: F401  (fixture)
from tests.integration.test_picking import _pick_everything, _release
from tests.integration.test_picking import floor as pick_floor  # noqa: F401  (fixture)
from tests.integration.test_putaway import received  # noqa: F401  (fixture)
from tests.integration.test_receiving import EAN_A, dock  # noqa: F401  (fixture)
from tests.integration.test_replenishment import floor as replenish_floor  # noqa: F401  (fixture)

STORED_ANSWERS = "idempotency_records"  # the one table a refused scan writes: its stored answer


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table but the stored answers, in primary-key order, as committed."""
    from erp_core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables if table.name != STORED_ANSWERS}


def stored_answers(app) -> int:
    from erp_core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        table = db.metadata.tables[STORED_ANSWERS]
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


class Handheld:
    """A logged-in handheld: every scan a POST with htmx's header, the CSRF token and its own key."""

    def __init__(self, client):
        self.client = client
        self.token = page_csrf(client, "/m/")

    def scan(self, path: str, key: str | None = None, **fields):
        headers = {"X-CSRFToken": self.token, "HX-Request": "true", "Idempotency-Key": key or uuid.uuid4().hex}
        response = self.client.post(path, data=fields, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response


def sound(response) -> tuple[str, str]:
    """The sound the handheld plays and the message that goes with it."""
    return next(iter(json.loads(response.headers["HX-Trigger"]).items()))


def assert_refused(response) -> str:
    kind, message = sound(response)
    assert kind == "scan-error" and message, response.headers["HX-Trigger"]
    assert html.escape(message, quote=False) in response.get_data(as_text=True)  # and it is on the screen
    return message


def fail_after(monkeypatch, module, name: str, error: Exception) -> None:
    """`module.name` does its real work, then raises `error`: a failure after the confirm's first writes."""
    real = getattr(module, name)

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        raise error

    monkeypatch.setattr(module, name, failing)


def refused_and_replayed(app, handheld: Handheld, path: str, fields: dict, fail):
    """Scan with `fail` in place: refused, nothing changed; then replay the same scan (the failure
    gone): the same refusal, still nothing changed. Returns the refused answer."""
    before, answers = snapshot(app), stored_answers(app)
    key = uuid.uuid4().hex
    with pytest.MonkeyPatch.context() as patch:
        fail(patch)
        refused = handheld.scan(path, key=key, **fields)
    assert_refused(refused)
    assert snapshot(app) == before
    assert stored_answers(app) == answers + 1
    replay = handheld.scan(path, key=key, **fields)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_data() == refused.get_data() and sound(replay) == sound(refused)
    assert snapshot(app) == before
    return refused


def _rows(app, model, **where):
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalars(select(model).filter_by(**where)).all()


# --- pick, short pick, put wall ------------------------------------------------------------------

def _my_first_task(app, pick_floor, **where):  # noqa: F811
    from erp_core.extensions import db
    from wms.picking.models import PickTask
    from wms.picking.services import pick_list_for

    with app.app_context():
        pick_list = pick_list_for(pick_floor["picker"], None)
        task = next(t for t in pick_list.tasks if t.status == "open"
                    and all(getattr(t, k) == v for k, v in where.items()))
        found = db.session.get(PickTask, task.id)
        return {"id": found.id, "bin": found.location.barcode, "item": f"BC-{found.sku.code}",
                "slot": f"{found.tote.barcode}-S{found.slot}", "quantity": found.quantity}


def test_a_pick_failing_after_its_first_write_is_refused_and_changes_nothing(app, pick_floor, login_as):  # noqa: F811
    from erp_core.inventory.models import StockMove
    from wms.picking import services
    from wms.picking.models import PickTask

    # given a picker at a cluster cart who scanned the bin and the item of a task
    _release(app, pick_floor, cart_items=20, cart_slots=6)
    handheld = Handheld(login_as("picker"))
    task = _my_first_task(app, pick_floor)
    assert sound(handheld.scan("/picking/pick/scan", task_id=task["id"], code=task["bin"]))[0] == "scan-ok"
    item = handheld.scan("/picking/pick/scan", task_id=task["id"], bin=task["bin"], code=task["item"], qty="1")
    assert sound(item)[0] == "scan-ok" and 'data-step="slot"' in item.get_data(as_text=True)
    slot_scan = {"task_id": task["id"], "bin": task["bin"], "item": task["item"], "qty": "1", "code": task["slot"]}
    # when the slot scan confirms, and the bin's stock turns out to be gone after the task's progress
    # and the move to the cart were written
    refused = refused_and_replayed(app, handheld, "/picking/pick/scan", slot_scan, lambda patch: fail_after(
        patch, services, "move_reserved", InsufficientStock("not enough stock in the bin")))
    # and the refusal shows the task as it is: its unit still to pick
    assert f"{task['quantity']}</strong>" in refused.get_data(as_text=True).split('class="pick-qty"')[1][:80]
    # then (checked above) nothing of it is left; and the same scan with a new key picks the unit
    assert sound(handheld.scan("/picking/pick/scan", **slot_scan))[0] == "scan-ok"
    assert [t.picked_quantity for t in _rows(app, PickTask, id=task["id"])] == [1]
    assert len(_rows(app, StockMove, reference=f"PICK-{task['id']}")) == 1


def test_a_short_pick_failing_after_its_first_write_is_refused_and_changes_nothing(app, pick_floor,  # noqa: F811
                                                                                   login_as):
    from wms.locations.models import CountTask
    from wms.picking import services
    from wms.picking.models import PickTask

    # given a picker at a task asking for 2 x A who finds only 1 in the bin
    _release(app, pick_floor, cart_items=20, cart_slots=6)
    handheld = Handheld(login_as("picker"))
    task = _my_first_task(app, pick_floor, sku_id=pick_floor["skus"]["A"], quantity=2)
    path = f"/picking/pick/{task['id']}/short"
    # when the short pick releases the missing unit, re-sources it and asks for a count, and then the
    # unit found cannot be moved to the cart
    refused_and_replayed(app, handheld, path, {"found": "1"}, lambda patch: fail_after(
        patch, services, "move_reserved", InsufficientStock("not enough stock in the bin")))
    # then (checked above) nothing of it is left; and reporting it again with a new key works
    assert sound(handheld.scan(path, found="1"))[0] == "scan-ok"
    short = _rows(app, PickTask, id=task["id"])[0]
    assert (short.picked_quantity, short.short_quantity) == (1, 1)
    assert len(_rows(app, PickTask, location_id=pick_floor["bins"][10])) == 1  # the missing unit, re-sourced
    assert len(_rows(app, CountTask)) == 1


def test_a_sort_failing_after_its_first_write_is_refused_and_changes_nothing(app, pick_floor, login_as):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation
    from wms.picking import put_wall
    from wms.picking.models import PickList

    # given a batch cart picked completely, and a sorter who scanned the cart and one of its items
    _release(app, pick_floor, cart_items=20, cart_slots=6, multi_item_mode="batch_sort")
    _pick_everything(app, pick_floor)
    with app.app_context():
        pick_list = next(pl for pl in db.session.scalars(select(PickList)) if pl.wave.kind == "batch_sort")
        list_id, cart = pick_list.id, db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{pick_list.id}"))
    handheld = Handheld(login_as("packer"))
    opened = handheld.scan("/picking/sort/scan", step="cart", code=cart)
    assert sound(opened)[0] == "scan-ok"
    where = handheld.scan("/picking/sort/scan", step="item", list_id=list_id, code="BC-B")
    assert sound(where)[0] == "scan-ok"
    with app.app_context():
        instruction = put_wall.where_does_it_go(list_id, "BC-B")
        slot_scan = {"step": "slot", "list_id": list_id, "line_id": instruction.order_line_id,
                     "sku_id": instruction.sku_id, "slot": instruction.slot, "code": instruction.slot_code}
        slot_id = db.session.scalar(select(Location.id).filter_by(barcode=instruction.slot_code))
    # when the slot scan moves the unit and its reservation from the cart to the slot, and then fails
    refused_and_replayed(app, handheld, "/picking/sort/scan", slot_scan, lambda patch: fail_after(
        patch, put_wall, "move_reserved", InsufficientStock("not enough available stock to reserve")))
    # then (checked above) nothing of it is left; and the same scan with a new key sorts the unit
    assert sound(handheld.scan("/picking/sort/scan", **slot_scan))[0] == "scan-ok"
    assert sum(r.quantity for r in _rows(app, StockReservation, location_id=slot_id)) == 1


# --- receive, putaway ----------------------------------------------------------------------------

def test_a_receipt_failing_after_its_first_write_is_refused_and_changes_nothing(app, dock, login_as):  # noqa: F811
    from erp_core.inventory.models import Quant
    from wms.locations import receiving
    from wms.locations.models import Asn, AsnLine

    # given a picker at the receiving screen of ASN-1, which expects 3 x A
    handheld = Handheld(login_as("picker"))
    path = f"/inbound/receive/{dock['asn']}/scan"
    # when a carton of 2 x A is scanned, the units reach staging, and then the staging bin is gone
    refused_and_replayed(app, handheld, path, {"code": f"2*{EAN_A}"}, lambda patch: fail_after(
        patch, receiving, "receive", NotFound("no such location")))
    # then (checked above) nothing of it is left; and the same scan with a new key receives them
    assert sound(handheld.scan(path, code=f"2*{EAN_A}"))[0] == "scan-ok"
    assert _rows(app, AsnLine, asn_id=dock["asn"], sku_id=dock["a"])[0].received_quantity == 2
    assert _rows(app, Quant, sku_id=dock["a"], location_id=dock["staging"])[0].quantity == 2
    assert _rows(app, Asn, id=dock["asn"])[0].status == "receiving"


def test_a_putaway_failing_after_its_first_write_is_refused_and_changes_nothing(app, received, login_as):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant
    from wms.locations import putaway_tasks
    from wms.locations.models import PutawayTask

    # given 3 x A in staging with a putaway task suggesting the pick face P-01
    with app.app_context():
        pick_code = db.session.get(Location, received["pick"]).barcode
    handheld = Handheld(login_as("picker"))
    path = f"/inbound/putaway/{received['task_a']}/scan"
    # when P-01 is scanned, the units move out of staging, and then staging turns out short
    refused_and_replayed(app, handheld, path, {"code": pick_code}, lambda patch: fail_after(
        patch, putaway_tasks, "move_stock", InsufficientStock("not enough stock in STAGE-IN")))
    # then (checked above) nothing of it is left; and the same scan with a new key puts them away
    assert sound(handheld.scan(path, code=pick_code))[0] == "scan-ok"
    assert _rows(app, PutawayTask, id=received["task_a"])[0].status == "done"
    assert _rows(app, Quant, sku_id=received["a"], location_id=received["pick"])[0].quantity == 13


# --- replenish, count ----------------------------------------------------------------------------

@pytest.fixture
def one_task(app, replenish_floor):  # noqa: F811
    """A task moving 16 cups from R-01 (30 on hand) to the pick face P-01 (4 on hand, max 20)."""
    from wms.locations.replenishment import plan_replenishment, update_pick_face

    with app.app_context():
        update_pick_face(replenish_floor["face"], 10, 20)
        created = plan_replenishment(replenish_floor["wh"]).created
        return next(t.id for t in created if t.sku_id == replenish_floor["cup"])


def test_a_replenishment_failing_after_its_first_write_is_refused_and_changes_nothing(app, replenish_floor,  # noqa: F811
                                                                                      one_task, login_as):
    from erp_core.inventory.stock_queries import quant_in
    from tests.stock_helpers import reserve
    from wms.locations.models import ReplenishmentTask

    floor = replenish_floor
    # given a task to move 16 cups from R-01, where 20 of the 30 are reserved for orders meanwhile, and a
    # picker who scanned R-01 and the item
    with app.app_context():
        reserve(floor["cup"], floor["r1"], 20)
    handheld = Handheld(login_as("picker"))
    path = f"/tasks/replenish/{one_task}/scan"
    assert sound(handheld.scan(path, step="from", code=floor["r1_code"]))[0] == "scan-ok"
    assert sound(handheld.scan(path, step="item", from_code=floor["r1_code"], code="6901234567892"))[0] == "scan-ok"
    at_face = {"step": "to", "from_code": floor["r1_code"], "item_code": "6901234567892", "code": floor["pick_code"]}
    # when the pick face is scanned: the task is marked done, then the move finds only 10 free units
    refused = refused_and_replayed(app, handheld, path, at_face, lambda patch: None)
    # then (checked above) the task is still the picker's to do, and the refusal says how many are free
    assert "10" in sound(refused)[1] and 'data-expected>10<' in refused.get_data(as_text=True)
    with app.app_context():
        assert _rows(app, ReplenishmentTask, id=one_task)[0].status == "in_progress"
    # and with a new key the picker types the 10 and scans the pick face again: they move
    assert sound(handheld.scan(path, **{**at_face, "code": "10"}))[0] == "scan-ok"
    assert sound(handheld.scan(path, **at_face, qty="10"))[0] == "scan-ok"
    with app.app_context():
        assert (quant_in(floor["cup"], floor["r1"])[0], quant_in(floor["cup"], floor["pick"])[0]) == (20, 14)
    assert _rows(app, ReplenishmentTask, id=one_task)[0].status == "done"


def test_a_count_scan_failing_after_its_first_write_is_refused_and_changes_nothing(app, store, bin_count,  # noqa: F811
                                                                                   login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.locations import counting
    from wms.locations.count_steps import bin_counted
    from wms.locations.models import CountLine

    # given a picker counting the empty bin A01-03-1
    handheld = Handheld(login_as("picker"))
    path = f"/tasks/count/{bin_count}/scan"
    assert sound(handheld.scan(path, code="SH1-A01-03-1"))[0] == "scan-ok"
    with app.app_context():
        b3 = db.session.get(Location, store["b3"])
        b3_code = b3.code
    # when a pen, which the books do not have there, is scanned: its line is written, and then the bin
    # turns out to be finished by someone else
    refused = refused_and_replayed(app, handheld, path, {"code": "PEN", "location_id": store["b3"]},
                                   lambda patch: fail_after(patch, counting, "_line_for", bin_counted(b3_code)))
    assert f"data-expected>{b3_code}<" in refused.get_data(as_text=True)
    # then (checked above) nothing of it is left; and the same scan with a new key counts the pen
    assert sound(handheld.scan(path, code="PEN", location_id=store["b3"]))[0] == "scan-ok"
    line = _rows(app, CountLine, task_id=bin_count, location_id=store["b3"], sku_id=store["pen"])
    assert [(li.expected_quantity, li.counted_quantity) for li in line] == [(0, 1)]
