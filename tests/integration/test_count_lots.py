"""Cycle counts of lot-tracked stock (盘点 by 批次): a line per lot, the lot asked for or read from a
GS1 scan, an unexpected lot counted as a new line, approval adjusting each lot alone."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf

CREAM_GTIN = "06901234567892"  # AI 01 form of the EAN-13 barcode 6901234567892


def _lots_in_b1(floor) -> dict[str, int]:
    """CREAM is tracked by lot (shelf life 720 days): lots L1 (exp 2027-01-31, 4817 units) and L2
    (exp 2027-06-30, 2931 units) in bin B1."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.services import receive

    sku = db.session.get(Sku, floor["cream"])
    sku.lot_tracked, sku.shelf_life_days = True, 720
    db.session.flush()
    l1 = get_or_create_lot(sku, "L1", expiry_date=date(2027, 1, 31))
    l2 = get_or_create_lot(sku, "L2", expiry_date=date(2027, 6, 30))
    receive(sku.id, floor["B1"], 4817, lot_id=l1.id)
    receive(sku.id, floor["B1"], 2931, lot_id=l2.id)
    db.session.commit()
    return {"l1": l1.id, "l2": l2.id}


@pytest.fixture
def floor(app):
    return (FloorBuilder()
            .warehouse("SH1", "Shanghai", key="wh")
            .bin("B1", "pick")
            .sku("CREAM", "Face cream", barcodes=["6901234567892"], key="cream")
            .sku("CUP", "Cup", barcodes=["6901234567809"], key="cup")
            .stock("cup", "B1", 5)
            .then(_lots_in_b1)
            .build(app))


@pytest.fixture
def count_id(app, floor, users):
    from wms.locations.count_planning import create_count

    with app.app_context():
        return create_count(floor["wh"], [floor.bin("B1")], user_id=users["supervisor"]).id


def _scan(client, task_id, code, **state):
    headers = {"X-CSRFToken": page_csrf(client, "/tasks/count"), "HX-Request": "true"}
    response = client.post(f"/tasks/count/{task_id}/scan", data={"code": code, **state}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def _hidden(html: str, name: str) -> str | None:
    marker = f'name="{name}" value="'
    return html.split(marker)[1].split('"')[0] if marker in html else None


def _lines(task_id):
    from erp_core.extensions import db
    from wms.locations.models import CountLine

    return {(li.sku_id, li.lot_id): li for li in db.session.scalars(select(CountLine).filter_by(task_id=task_id))}


def _state(response, bin_id) -> dict:
    """The hidden state the panel carries to the next scan."""
    html = response.get_data(as_text=True)
    state = {"location_id": bin_id}
    for name in ("sku_id", "lot_id", "lot_wanted"):
        value = _hidden(html.split("data-lot-choices")[0], name)
        if value is not None:
            state[name] = value
    return state


def test_a_count_has_a_line_per_lot_of_a_tracked_sku(ctx, floor, count_id):
    lines = _lines(count_id)
    assert {k: li.expected_quantity for k, li in lines.items()} == {
        (floor["cream"], floor["l1"]): 4817, (floor["cream"], floor["l2"]): 2931, (floor["cup"], None): 5}


def test_a_plain_barcode_of_a_tracked_sku_asks_for_the_lot_then_counts_in_it(app, login_as, floor, count_id):
    client = login_as("picker")
    b1 = floor.bin("B1")
    started = _scan(client, count_id, floor.barcode("B1"))
    # the item by its plain barcode: nothing counted yet, the lot is asked, the bin's lots offered
    asked = _scan(client, count_id, "6901234567892", **_state(started, b1))
    html = asked.get_data(as_text=True)
    assert "tracked by lot" in html and 'data-choose-lot="L1"' in html and 'data-choose-lot="L2"' in html
    assert "4817" not in html and "2931" not in html  # a blind count: lots offered, never their quantities
    with app.app_context():
        assert all(li.counted_quantity is None for li in _lines(count_id).values())
    # the lot chosen: that item counts in L2; two more scans of the barcode stay in L2
    chosen = _scan(client, count_id, "L2", **_state(asked, b1))
    assert _sound(chosen) == "scan-ok" and "lot L2: 1 counted" in chosen.get_data(as_text=True)
    again = _scan(client, count_id, "6901234567892", **_state(chosen, b1))
    again = _scan(client, count_id, "6901234567892", **_state(again, b1))
    # a typed quantity sets the count of that lot
    typed = _scan(client, count_id, "19", **_state(again, b1))
    assert "lot L2: 19 counted" in typed.get_data(as_text=True)
    with app.app_context():
        lines = _lines(count_id)
        assert lines[(floor["cream"], floor["l2"])].counted_quantity == 19
        assert lines[(floor["cream"], floor["l1"])].counted_quantity is None


def test_a_new_lot_found_by_a_gs1_scan_is_created_and_counted_as_a_new_line(app, login_as, floor, count_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot

    client = login_as("picker")
    b1 = floor.bin("B1")
    started = _scan(client, count_id, floor.barcode("B1"))
    gs1 = f"(01){CREAM_GTIN}(17)271130(10)L3"
    counted = _scan(client, count_id, gs1, **_state(started, b1))
    assert _sound(counted) == "scan-ok" and "lot L3: 1 counted" in counted.get_data(as_text=True)
    with app.app_context():
        lot = db.session.scalar(select(Lot).filter_by(sku_id=floor["cream"], lot_number="L3"))
        assert lot is not None and lot.expiry_date == date(2027, 11, 30)
        line = _lines(count_id)[(floor["cream"], lot.id)]
        assert (line.expected_quantity, line.counted_quantity) == (0, 1)


def test_a_typed_new_lot_without_an_expiry_is_refused_and_counts_nothing(app, login_as, floor, count_id):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot

    client = login_as("picker")
    b1 = floor.bin("B1")
    asked = _scan(client, count_id, "6901234567892", **_state(_scan(client, count_id, floor.barcode("B1")), b1))
    refused = _scan(client, count_id, "L9", **_state(asked, b1))
    assert _sound(refused) == "scan-error" and "needs an expiry date" in refused.get_data(as_text=True)
    assert 'name="lot_wanted"' in refused.get_data(as_text=True)  # still waiting for the lot
    with app.app_context():
        assert db.session.scalar(select(Lot).filter_by(lot_number="L9")) is None
        assert all(li.counted_quantity is None for li in _lines(count_id).values())
    # an item's barcode where the lot is wanted is not taken for a lot number
    barcode = _scan(client, count_id, "6901234567809", **_state(refused, b1))
    assert _sound(barcode) == "scan-error" and "Give the lot" in barcode.get_data(as_text=True)
    # with its expiry the new lot is created and counted
    given = _scan(client, count_id, "L9", expiry="2027-09-30", **_state(refused, b1))
    assert "lot L9: 1 counted" in given.get_data(as_text=True)


def test_approving_a_difference_on_one_lot_adjusts_only_that_lot(app, login_as, floor, count_id, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.stock_queries import quant_in
    from wms.locations import counting

    # given L1 counted 4814 (3 short), L2 and CUP as the books say
    with app.app_context():
        b1 = floor.bin("B1")
        counting.set_counted(count_id, b1, floor["cream"], 4814, user_id=users["picker"], lot_id=floor["l1"])
        counting.set_counted(count_id, b1, floor["cream"], 2931, user_id=users["picker"], lot_id=floor["l2"])
        counting.set_counted(count_id, b1, floor["cup"], 5, user_id=users["picker"])
        counting.finish_bin(count_id, b1, user_id=users["picker"])
        db.session.commit()
    client = login_as("supervisor")
    report = client.get(f"/tasks/counts/{count_id}").get_data(as_text=True)
    assert "L1" in report and "L2" in report
    # when approved
    response = client.post(f"/tasks/counts/{count_id}/approve", data={"csrf_token": page_csrf(client)},
                           follow_redirects=True)
    assert "1 adjustments posted" in response.get_data(as_text=True)
    # then only L1 moved, by 3, to inventory loss
    with app.app_context():
        assert quant_in(floor["cream"], b1, floor["l1"])[0] == 4814
        assert quant_in(floor["cream"], b1, floor["l2"])[0] == 2931
        moves = db.session.scalars(select(StockMove).filter_by(reason="adjustment")).all()
        assert [(m.lot_id, m.quantity, m.from_location_id) for m in moves] == [(floor["l1"], 3, b1)]


def test_a_tracked_item_cannot_get_a_typed_quantity_before_its_lot(app, floor, count_id, users):
    from erp_core.errors import DomainError
    from wms.locations import counting

    with app.app_context(), pytest.raises(DomainError) as refused:
        counting.set_counted(count_id, floor.bin("B1"), floor["cream"], 4, user_id=users["picker"])
    assert refused.value.code == "lot_first"
