"""The returns station (退货), through its routes as a clerk scans: the return waybill opens the case,
each item is received (CUSTOMER -> the returns bin), a wrong item is refused and nothing changes, a
retried scan is applied once, a lot-tracked unit goes back to the lot it was shipped from (asked when
several), received units are inspected three ways with the ledger to match; two desks receiving the
last unit at once receive it once; another warehouse's user is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.concurrency import describe_errors, race, unexpected
from tests.conftest import PASSWORD, login, page_csrf
from tests.returns_helpers import case_moves, quant, returns_floor

pytestmark = pytest.mark.timeout(300)
STATION = "/returns/station"


@pytest.fixture
def desk(app, users):
    return returns_floor(app, users)


def _approved_case(app, order_id: int, quantities: dict[str, int], kind: str = "return_refund") -> dict:
    """A case opened and approved by the office: {"id", "number"}."""
    from erp_core.aftersales.services import NewCase, NewCaseLine, approve_case, create_case
    from tests.shipping_helpers import order_lines

    with app.app_context():
        lines = order_lines(order_id)
        case = create_case(NewCase(order_id=order_id, kind=kind, lines=[
            NewCaseLine(lines[sku], qty, "quality") for sku, qty in quantities.items()]))
        approve_case(case.id)
        return {"id": case.id, "number": case.number}


def _tracking(app, order_id: int) -> str:
    from erp_core.extensions import db
    from wms.shipping.models import Shipment

    with app.app_context():
        return db.session.scalar(select(Shipment.tracking_number).filter_by(order_id=order_id))


class Station:
    """A clerk at the station: each post carries its own scan id (Idempotency-Key) as scanner.js sends it."""

    def __init__(self, client):
        self.client = client
        self.token = page_csrf(client, STATION + "/")
        self.n = 0

    def post(self, path: str, key: str | None = None, **form):
        self.n += 1
        return self.client.post(STATION + path, data=form, headers={
            "X-CSRFToken": self.token, "HX-Request": "true", "Idempotency-Key": key or f"scan-{self.n}"})


def _sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def _status(app, case_id: int) -> str:
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.extensions import db

    with app.app_context():
        return db.session.get(AfterSalesCase, case_id).status


def test_the_return_waybill_opens_the_case_and_each_scanned_item_is_received_into_the_returns_bin(
        app, desk, login_as):
    # given a return of 2 cups and the phone case, approved
    case = _approved_case(app, desk["orders"]["cups"], {"A": 2, "B": 1})
    station = Station(login_as("packer"))
    # when the clerk scans the parcel's waybill (the outbound one), then the items
    opened = station.post("/scan", code=_tracking(app, desk["orders"]["cups"]))
    assert opened.status_code == 200 and _sound(opened) == "scan-ok"
    assert f'data-case="{case["number"]}"' in opened.get_data(as_text=True)
    for code in ("6901234567892", "6901234567892", "BC-B"):
        answer = station.post("/scan", case_id=case["id"], code=code)
        assert _sound(answer) == "scan-ok", answer.get_data(as_text=True)
    # then the units moved from the customer into RET-01, and the case is received
    with app.app_context():
        assert quant(desk["skus"]["A"], desk["bins"]["RET-01"]) == 2
        assert quant(desk["skus"]["B"], desk["bins"]["RET-01"]) == 1
        assert case_moves(case["number"]) == [("return", "CUSTOMER", "RET-01", 1, None)] * 2 + [
            ("return", "CUSTOMER", "RET-01", 1, None)]
    assert _status(app, case["id"]) == "received"


def test_a_wrong_item_is_refused_with_the_error_sound_and_nothing_changes(app, desk, login_as):
    case = _approved_case(app, desk["orders"]["cups"], {"A": 1})
    station = Station(login_as("shipping"))
    # when the clerk scans the yoga mat, which is not on the case
    answer = station.post("/scan", case_id=case["id"], code="BC-C")
    # then it is refused, names what is expected, and no stock moved
    assert _sound(answer) == "scan-error"
    assert "A ×1" in answer.get_data(as_text=True)
    with app.app_context():
        assert case_moves(case["number"]) == []


def test_a_retried_scan_is_applied_once(app, desk, login_as):
    case = _approved_case(app, desk["orders"]["cups"], {"A": 2})
    station = Station(login_as("packer"))
    first = station.post("/scan", key="scan-cup-1", case_id=case["id"], code="6901234567892")
    again = station.post("/scan", key="scan-cup-1", case_id=case["id"], code="6901234567892")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_data() == first.get_data()
    with app.app_context():
        assert quant(desk["skus"]["A"], desk["bins"]["RET-01"]) == 1
    assert _status(app, case["id"]) == "awaiting_return"


def test_received_units_inspected_three_ways_go_to_stock_damaged_bin_and_loss_with_the_ledger_to_match(
        app, desk, login_as):
    # given 2 cups and the phone case received
    case = _approved_case(app, desk["orders"]["cups"], {"A": 2, "B": 1})
    station = Station(login_as("packer"))
    for code in ("6901234567892", "6901234567892", "BC-B"):
        station.post("/scan", case_id=case["id"], code=code)
    with app.app_context():
        from erp_core.aftersales.models import AfterSalesLine
        from erp_core.extensions import db

        lines = {line.sku.code: line.id for line in db.session.scalars(
            select(AfterSalesLine).filter_by(case_id=case["id"]))}
        pick_before = quant(desk["skus"]["A"], desk["bins"]["A01-01-1"])
    # when one cup goes back to its pick bin, one to the damaged bin, and the phone case is scrapped
    sellable = station.post("/inspect", case_id=case["id"], line_id=lines["A"], outcome="sellable", qty="1",
                            bin="A01-01-1", note="as new")
    damaged = station.post("/inspect", case_id=case["id"], line_id=lines["A"], outcome="damaged", qty="1",
                           note="dented lid")
    scrap = station.post("/inspect", case_id=case["id"], line_id=lines["B"], outcome="scrap", qty="1",
                         note="broken")
    assert [_sound(r) for r in (sellable, damaged, scrap)] == ["scan-ok"] * 3, scrap.get_data(as_text=True)
    # then each unit lies where its outcome sent it, and the ledger says why
    with app.app_context():
        a, b = desk["skus"]["A"], desk["skus"]["B"]
        assert quant(a, desk["bins"]["RET-01"]) == 0 and quant(b, desk["bins"]["RET-01"]) == 0
        assert quant(a, desk["bins"]["A01-01-1"]) == pick_before + 1
        assert quant(a, desk["bins"]["DMG-01"]) == 1
        moves = case_moves(case["number"])
        assert moves[3:] == [("putaway", "RET-01", "A01-01-1", 1, None), ("move", "RET-01", "DMG-01", 1, None),
                             ("scrap", "RET-01", "INV-LOSS", 1, None)]
        from erp_core.extensions import db
        from erp_core.inventory.models import StockMove

        notes = [m.note for m in db.session.scalars(select(StockMove).filter_by(reference=case["number"])
                                                    .order_by(StockMove.id))][3:]
        assert notes == ["return sellable: as new", "return damaged: dented lid", "return scrap: broken"]
        line_a = db.session.get(AfterSalesLine, lines["A"])
        assert (line_a.restocked_quantity, line_a.damaged_quantity, line_a.scrapped_quantity) == (1, 1, 0)
    assert _status(app, case["id"]) == "inspected"


def test_inspecting_more_than_was_received_is_refused_and_nothing_moves(app, desk, login_as):
    case = _approved_case(app, desk["orders"]["cups"], {"A": 2})
    station = Station(login_as("packer"))
    station.post("/scan", case_id=case["id"], code="6901234567892")
    with app.app_context():
        from erp_core.aftersales.models import AfterSalesLine
        from erp_core.extensions import db

        line_id = db.session.scalar(select(AfterSalesLine.id).filter_by(case_id=case["id"]))
    answer = station.post("/inspect", case_id=case["id"], line_id=line_id, outcome="scrap", qty="2")
    assert _sound(answer) == "scan-error"
    with app.app_context():
        assert quant(desk["skus"]["A"], desk["bins"]["RET-01"]) == 1
        assert [m[0] for m in case_moves(case["number"])] == ["return"]


def test_a_lot_tracked_return_asks_which_lot_and_goes_back_to_that_lot(app, desk, login_as):
    # given the face creams shipped one of LOT-1 and one of LOT-2, both returned
    case = _approved_case(app, desk["orders"]["cream"], {"L": 2})
    station = Station(login_as("packer"))
    # when the clerk scans the plain barcode: two lots could be it, so the station asks
    asked = station.post("/scan", case_id=case["id"], code="BC-L")
    page = asked.get_data(as_text=True)
    assert _sound(asked) == "scan-error" and 'name="lot_id"' in page and "LOT-1" in page and "LOT-2" in page
    with app.app_context():
        assert case_moves(case["number"]) == []
    # and the clerk chooses LOT-2
    chosen = station.post("/scan", case_id=case["id"], code="BC-L", lot_id=str(desk["lots"]["LOT-2"]))
    assert _sound(chosen) == "scan-ok"
    # then the next one needs no question: only LOT-1 is left to come back
    last = station.post("/scan", case_id=case["id"], code="BC-L")
    assert _sound(last) == "scan-ok", last.get_data(as_text=True)
    with app.app_context():
        cream, ret = desk["skus"]["L"], desk["bins"]["RET-01"]
        assert quant(cream, ret, desk["lots"]["LOT-1"]) == 1 and quant(cream, ret, desk["lots"]["LOT-2"]) == 1
        assert case_moves(case["number"]) == [("return", "CUSTOMER", "RET-01", 1, "LOT-2"),
                                              ("return", "CUSTOMER", "RET-01", 1, "LOT-1")]
        from erp_core.aftersales.models import AfterSalesLine
        from erp_core.extensions import db

        line_id = db.session.scalar(select(AfterSalesLine.id).filter_by(case_id=case["id"]))
    # and inspected back to sellable stock, each unit stays in its own lot
    ok = station.post("/inspect", case_id=case["id"], line_id=line_id, outcome="sellable", qty="2", bin="A01-06-1")
    assert _sound(ok) == "scan-ok", ok.get_data(as_text=True)
    with app.app_context():
        shelf = desk["bins"]["A01-06-1"]
        assert quant(cream, shelf, desk["lots"]["LOT-1"]) == 1 and quant(cream, shelf, desk["lots"]["LOT-2"]) == 1
        assert quant(cream, ret, desk["lots"]["LOT-1"]) == 0


def test_a_lot_not_shipped_on_the_order_is_refused(app, desk):
    from erp_core.aftersales.receiving import receive_return
    from erp_core.errors import Conflict
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot

    case = _approved_case(app, desk["orders"]["cream"], {"L": 1})
    with app.app_context():
        from datetime import date

        from erp_core.aftersales.models import AfterSalesCase
        from erp_core.catalog.models import Sku

        other = get_or_create_lot(db.session.get(Sku, desk["skus"]["L"]), "LOT-9", expiry_date=date(2030, 1, 1))
        db.session.commit()
        line_id = db.session.get(AfterSalesCase, case["id"]).lines[0].id
        with pytest.raises(Conflict) as refused:
            receive_return(case["id"], line_id, 1, lot_id=other.id)
        assert refused.value.code == "lot_not_shipped"
        assert case_moves(case["number"]) == []


def test_two_desks_receiving_the_last_unit_of_a_case_at_once_receive_it_once(app, desk):
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.aftersales.receiving import receive_return
    from erp_core.extensions import db

    # given a case of one cup, waiting for it
    case = _approved_case(app, desk["orders"]["cups"], {"A": 1})
    with app.app_context():
        line_id = db.session.get(AfterSalesCase, case["id"]).lines[0].id
    # when two desks receive it at the same moment
    outcomes = race(app, lambda: receive_return(case["id"], line_id, 1).id,
                    lambda: receive_return(case["id"], line_id, 1).id)
    # then one receives it and the other is refused cleanly; one unit came back, never two
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]
    refused = next(o for o in outcomes if o.kind == "refused")
    assert refused.status == 409 and refused.code in {"return_fully_received", "case_not_receiving",
                                                      "concurrent_update"}
    with app.app_context():
        assert quant(desk["skus"]["A"], desk["bins"]["RET-01"]) == 1
        assert db.session.get(AfterSalesCase, case["id"]).lines[0].received_quantity == 1
        assert len(case_moves(case["number"])) == 1


def test_the_station_refuses_another_warehouses_user(app, desk, client):
    from erp_core.auth.services import create_user
    from erp_core.inventory.services import create_warehouse

    case = _approved_case(app, desk["orders"]["cups"], {"A": 1})
    with app.app_context():
        other = create_warehouse("BJ1", "Beijing").id
        create_user("bj-packer", PASSWORD, "packer", warehouse_ids=[other])
    login(client, "bj-packer")
    station = Station(client)
    # the case's id in a form or a link: refused
    assert station.post("/scan", case_id=case["id"], code="6901234567892").status_code == 403
    assert station.post("/inspect", case_id=case["id"], line_id="1", outcome="scrap", qty="1").status_code == 403
    assert client.get(f"{STATION}/?case_id={case['id']}").status_code == 403
    # and a scan of its waybill finds nothing in their warehouses
    answer = station.post("/scan", code=_tracking(app, desk["orders"]["cups"]))
    assert _sound(answer) == "scan-error" and case["number"] not in answer.get_data(as_text=True)
    with app.app_context():
        assert case_moves(case["number"]) == []


def test_the_office_can_open_a_return_at_the_station_for_a_shipped_order_without_a_case(app, desk, login_as):
    station = Station(login_as("supervisor"))
    answer = station.post("/scan", code="S0")
    assert _sound(answer) == "scan-error" and "open-case" in answer.get_data(as_text=True)
    opened = station.post("/open-case", order_id=str(desk["orders"]["cups"]))
    assert _sound(opened) == "scan-ok"
    from erp_core.aftersales.models import AfterSalesCase
    from erp_core.extensions import db

    with app.app_context():
        case = db.session.scalar(select(AfterSalesCase))
        assert case.status == "awaiting_return" and sorted((li.sku.code, li.quantity) for li in case.lines) == [
            ("A", 2), ("B", 1)]


def test_a_returns_bin_can_be_created_from_the_new_bin_form(app, users, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse

    with app.app_context():
        wh = create_warehouse("HZ1", "Hangzhou").id
    client = login_as("admin")
    token = page_csrf(client, f"/locations/{wh}/bins/new")
    client.post(f"/locations/{wh}/bins/new", data={"csrf_token": token, "code": "RET-09", "bin_type": "returns"})
    with app.app_context():
        made = db.session.scalar(select(Location).filter_by(warehouse_id=wh, code="RET-09"))
        assert made is not None and made.bin_type == "returns"
