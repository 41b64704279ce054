"""Real Chromium on a 360-px handheld: a lot label (GS1-128, read raw as a scanner types it) received
in one scan, and a short-dated lot refused with the error sound and nothing received."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.e2e.conftest import badge_login, wait_until

pytestmark = pytest.mark.e2e

EAN = "6901234567892"


@pytest.fixture
def cream_asn(app):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from wms.locations.asn_services import create_asn

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai")
                 .bin("STAGE-IN", "staging")
                 .sku("CREAM-1", "Face cream", name_zh="面霜", barcodes=[EAN])
                 .build())
        sku = db.session.get(Sku, floor["CREAM-1"])
        sku.lot_tracked, sku.shelf_life_days, sku.min_receipt_life_days = True, 1095, 180
        db.session.commit()
        return create_asn(floor["SH1"], [(floor["CREAM-1"], 5)], reference="ASN-LOT").id


def _gs1_raw(days: int, lot: str) -> str:
    """GTIN (01), expiry (17), then the lot (10) last: a variable-length field last needs no separator."""
    from erp_core.inventory.reservations import business_today

    return f"010{EAN}17{business_today() + timedelta(days=days):%y%m%d}10{lot}"


def test_a_lot_label_is_received_in_one_scan_and_a_short_dated_one_is_refused(live_server, handheld, users,
                                                                               cream_asn, app):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot, Quant

    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/inbound/receive/{cream_asn}")
    received = page.locator("tr[data-sku='CREAM-1'] [data-received]")
    scan = page.locator("[data-scan-input]")
    # when the picker scans the GS1-128 lot label of the carton's unit
    scan.type(_gs1_raw(700, "B2026A"))
    scan.press("Enter")
    # then one unit of lot B2026A is received, with the expiry from the label
    wait_until(lambda: received.inner_text() == "1")
    assert page.evaluate("document.body.dataset.lastScan") == "ok"
    with app.app_context():
        lot = db.session.scalar(select(Lot).filter_by(lot_number="B2026A"))
        assert lot is not None and lot.expiry_date is not None
        assert db.session.scalar(select(Quant.quantity).where(Quant.lot_id == lot.id)) == 1
    # when a label with 100 days left is scanned (180 are needed at receipt)
    scan.type(_gs1_raw(100, "OLD1"))
    scan.press("Enter")
    # then it is refused with the error sound, in Chinese, and nothing is received
    wait_until(lambda: page.evaluate("document.body.dataset.lastScan") == "error")
    assert received.inner_text() == "1"
    assert "剩余 100 天，入库至少需要 180 天" in page.locator("body").inner_text()
    with app.app_context():
        assert db.session.scalar(select(Lot).filter_by(lot_number="OLD1")) is None


@pytest.fixture
def lot_wave(app, users):
    """SH1: face cream by lot (90 days must be left at shipment) in one bin: lot EARLY (200 days, the one
    FEFO gives the order), LATER (400 days, as good) and HELD (on hold); one order of 1, released."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.reservations import business_today
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=2, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("CREAM", "Face cream", name_zh="面霜", barcodes=[EAN])
                 .build())
        sku = db.session.get(Sku, floor["CREAM"])
        sku.lot_tracked, sku.shelf_life_days, sku.min_ship_life_days = True, 1095, 90
        db.session.commit()
        today = business_today()
        lots = {}
        for number, days in (("EARLY", 200), ("LATER", 400), ("HELD", 300)):
            lot = get_or_create_lot(sku, number, expiry_date=today + timedelta(days=days))
            lot.on_hold = number == "HELD"
            db.session.commit()
            receive(sku.id, floor.bin("A01-01-1"), 3, reference="PO-1", lot_id=lot.id)
            lots[number] = lot.id
        approve_order(make_order("LOT1", [("CREAM", 1)]))
        release_waves(floor["SH1"], WaveRules(cart_slots=4))
        return {"bin": floor.barcode("A01-01-1"), "lots": lots}


def test_the_picker_sees_the_lot_is_refused_a_held_lot_and_may_take_an_equally_good_one(live_server, handheld,
                                                                                       lot_wave, app):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from tests.e2e.conftest import scan
    from wms.picking.models import PickTask

    page = handheld
    badge_login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    # the pick screen names the lot FEFO chose
    assert "EARLY" in page.locator("body").inner_text()
    scan(page, lot_wave["bin"])
    page.wait_for_selector("[data-step=item]")
    # a unit of the held lot is refused, with the error sound, and nothing moves
    scan(page, _gs1_raw(300, "HELD"))
    page.wait_for_selector(".scan-error")
    assert page.evaluate("document.body.dataset.lastScan") == "error"
    assert "EARLY" in page.locator(".scan-error").inner_text()
    with app.app_context():
        assert db.session.scalar(select(StockMove).where(StockMove.reason == "pick")) is None
    # a unit of LATER (as good for the order) is taken instead: the reservation follows the lot
    scan(page, _gs1_raw(400, "LATER"))
    page.wait_for_selector("[data-step=slot], .cart-done")  # a single-item wave needs no slot scan
    if page.locator("[data-step=slot]").count():
        with app.app_context():
            task = db.session.scalar(select(PickTask))
            slot = f"{task.tote.barcode}-S{task.slot}"
        scan(page, slot)
        page.wait_for_selector(".cart-done")
    with app.app_context():
        move = db.session.scalar(select(StockMove).where(StockMove.reason == "pick"))
        assert move.lot_id == lot_wave["lots"]["LATER"]
        assert db.session.scalar(select(PickTask)).lot_id == lot_wave["lots"]["LATER"]
