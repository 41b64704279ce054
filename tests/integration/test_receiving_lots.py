"""Receiving with lots (批次): the lot and expiry typed or read from one GS1 scan, short-dated goods
refused or flagged, putaway tasks per lot, and single-lot bins kept apart at putaway."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf
from tests.integration.test_receiving import EAN_A, dock, qty, scan, sound  # noqa: F401  (fixture)

GTIN_A = "0" + EAN_A


@pytest.fixture
def lots_dock(app, dock):  # noqa: F811
    """The dock with A tracked by lot: shelf life 365 days, at least 200 left at receipt."""
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db

    with app.app_context():
        sku = db.session.get(Sku, dock["a"])
        # A's 10 untracked units in P-01 would block the switch: the pick face starts empty here.
        from erp_core.inventory.services import adjust

        adjust(dock["a"], dock["pick"], 0, reason_note="test set-up")
        sku.lot_tracked, sku.shelf_life_days, sku.min_receipt_life_days = True, 365, 200
        db.session.commit()
        db.session.remove()
    return dock


def today():
    from erp_core.inventory.reservations import business_today

    return business_today()


def yymmdd(day) -> str:
    return day.strftime("%y%m%d")


def stock_rows(app) -> tuple[int, int, int]:
    """Moves, quants and lots: what a refused scan must leave as it was."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot, Quant, StockMove

    with app.app_context():
        return tuple(db.session.scalar(select(func.count(model.id))) for model in (StockMove, Quant, Lot))


def lot_of(number: str):
    from erp_core.extensions import db
    from erp_core.inventory.models import Lot

    return db.session.scalar(select(Lot).filter_by(lot_number=number))


def lot_qty(sku_id: int, location_id: int, lot_id: int) -> int:
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    return db.session.scalar(select(Quant.quantity).filter_by(sku_id=sku_id, location_id=location_id,
                                                               lot_id=lot_id)) or 0


def test_one_gs1_128_scan_gives_the_sku_the_lot_and_the_expiry_and_putaway_carries_the_lot(app, login_as, lots_dock):
    from erp_core.extensions import db
    from wms.locations.models import PutawayTask

    client = login_as("picker")
    path = f"/inbound/receive/{lots_dock['asn']}/scan"
    expiry = today() + timedelta(days=300)
    # when the picker scans the carton's GS1-128 label, raw as the scanner sends it, twice
    label = f"]C101{GTIN_A}17{yymmdd(expiry)}10l-2401\x1d"
    first = scan(client, path, label.rstrip("\x1d"), quantity="2")
    scan(client, path, f"(01){GTIN_A}(17){yymmdd(expiry)}(10)L-2401")
    # then the units are received into lot L-2401 with its expiry, and the screen names the lot
    assert sound(first) == "scan-ok", first.get_data(as_text=True)
    assert 'data-lot="L-2401"' in first.get_data(as_text=True)
    with app.app_context():
        lot = lot_of("L-2401")
        assert lot.sku_id == lots_dock["a"] and lot.expiry_date == expiry and not lot.short_dated_receipt
        assert lot_qty(lots_dock["a"], lots_dock["staging"], lot.id) == 3
        lot_id = lot.id
    # and finishing the receipt plans a putaway task of that lot
    finished = client.post(f"/inbound/receive/{lots_dock['asn']}/finish",
                           data={"csrf_token": page_csrf(client, f"/inbound/receive/{lots_dock['asn']}")})
    assert finished.status_code == 302
    with app.app_context():
        task = db.session.scalar(select(PutawayTask).filter_by(sku_id=lots_dock["a"]))
        assert (task.lot_id, task.quantity) == (lot_id, 3)


def test_a_production_date_alone_gives_the_expiry_from_the_shelf_life(app, login_as, lots_dock):
    made = today() - timedelta(days=10)
    response = scan(login_as("picker"), f"/inbound/receive/{lots_dock['asn']}/scan",
                    f"(01){GTIN_A}(11){yymmdd(made)}(10)P-7")
    assert sound(response) == "scan-ok", response.get_data(as_text=True)
    with app.app_context():
        lot = lot_of("P-7")
        assert (lot.production_date, lot.expiry_date) == (made, made + timedelta(days=365))


def test_a_typed_lot_and_expiry_receive_a_plain_barcode_scan(app, login_as, lots_dock):
    expiry = today() + timedelta(days=250)
    response = scan(login_as("picker"), f"/inbound/receive/{lots_dock['asn']}/scan", EAN_A, lot=" t-9 ",
                    expiry=expiry.isoformat())
    assert sound(response) == "scan-ok", response.get_data(as_text=True)
    with app.app_context():
        assert lot_of("T-9").expiry_date == expiry


def test_a_lot_tracked_item_without_its_lot_is_refused_and_nothing_changes(app, login_as, lots_dock):
    before = stock_rows(app)
    response = scan(login_as("picker"), f"/inbound/receive/{lots_dock['asn']}/scan", EAN_A)
    assert sound(response) == "scan-error" and "give the lot number" in response.get_data(as_text=True)
    assert stock_rows(app) == before


def test_goods_below_the_minimum_life_at_receipt_are_refused_naming_the_days_and_nothing_changes(
        app, login_as, lots_dock):
    before = stock_rows(app)
    expiry = today() + timedelta(days=150)
    # when a picker scans a label of a lot with 150 days left, where A needs 200 at receipt
    response = scan(login_as("picker"), f"/inbound/receive/{lots_dock['asn']}/scan",
                    f"(01){GTIN_A}(17){yymmdd(expiry)}(10)OLD-1")
    # then the scan is refused, saying how many days are left and needed
    text = response.get_data(as_text=True)
    assert sound(response) == "scan-error"
    assert "150 days left, 200 needed at receipt" in text
    # and no move, no quant and no lot was made, and the line counted nothing
    assert stock_rows(app) == before
    with app.app_context():
        from tests.integration.test_receiving import line_of

        assert line_of(lots_dock["asn"], lots_dock["a"]).received_quantity == 0


def test_the_refusal_of_short_dated_goods_is_said_in_chinese_too(app, login_as, lots_dock):
    client = login_as("picker")
    client.post("/settings/language", data={"locale": "zh", "csrf_token": page_csrf(client)})
    expiry = today() + timedelta(days=150)
    response = scan(client, f"/inbound/receive/{lots_dock['asn']}/scan", f"(01){GTIN_A}(17){yymmdd(expiry)}(10)OLD-1")
    assert sound(response) == "scan-error"
    assert "剩余 150 天，入库至少需要 200 天" in response.get_data(as_text=True)


def test_in_flag_mode_short_dated_goods_are_accepted_and_the_lot_flagged(app, login_as, lots_dock):
    # given an admin setting short-dated receipts to be flagged, not refused
    admin = login_as("admin")
    saved = admin.post("/inbound/settings", data={"short_dated": "flag",
                                                  "csrf_token": page_csrf(admin, "/inbound/settings")})
    assert saved.status_code == 302
    with app.app_context():
        from erp_core.settings import get_setting

        assert get_setting("receiving.short_dated") == "flag"
    # when goods with 150 days left are scanned
    expiry = today() + timedelta(days=150)
    response = scan(admin, f"/inbound/receive/{lots_dock['asn']}/scan", f"(01){GTIN_A}(17){yymmdd(expiry)}(10)OLD-1")
    # then they are received, the screen says so, and the lot is flagged as a short-dated receipt
    text = response.get_data(as_text=True)
    assert "50 days short" in text and "data-short-dated" in text
    with app.app_context():
        lot = lot_of("OLD-1")
        assert lot.short_dated_receipt and lot_qty(lots_dock["a"], lots_dock["staging"], lot.id) == 1


def test_a_gs1_label_whose_gtin_no_sku_has_is_an_unknown_code(app, login_as, lots_dock):
    before = stock_rows(app)
    response = scan(login_as("picker"), f"/inbound/receive/{lots_dock['asn']}/scan",
                    "(01)04006381333931(17)301231(10)X")
    assert sound(response) == "scan-error" and stock_rows(app) == before


# --- Putaway keeps lots apart ---------------------------------------------------------------------

@pytest.fixture
def two_lots(app, lots_dock):
    """R-01 is a single-lot bin holding 5 of lot OLD-LOT; lot NEW-LOT (5 units) received and finished."""
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from wms.locations.receiving import LotLabel, finish_receipt, receive_scan

    with app.app_context():
        from erp_core.catalog.models import Sku

        sku = db.session.get(Sku, lots_dock["a"])
        near = db.session.get(Location, lots_dock["near"])
        near.mixed_lots = False
        old = get_or_create_lot(sku, "OLD-LOT", expiry_date=today() + timedelta(days=250))
        receive(sku.id, near.id, 5, reference="before", lot_id=old.id)
        receive_scan(lots_dock["asn"], sku.id, 5, lot=LotLabel("NEW-LOT", today() + timedelta(days=320)))
        task = finish_receipt(lots_dock["asn"]).putaways[0].task
        ids = {**lots_dock, "task": task.id, "suggested": task.suggested_location_id, "old": old.id,
               "new": task.lot_id}
        db.session.commit()
        db.session.remove()
    return ids


def test_a_single_lot_bin_holding_another_lot_of_the_sku_is_never_suggested(app, two_lots):
    assert two_lots["suggested"] not in (None, two_lots["near"])


def test_scanning_a_single_lot_bin_holding_another_lot_is_refused_and_nothing_changes(app, login_as, two_lots):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.locations.models import PutawayTask

    client = login_as("picker")
    before = stock_rows(app)
    with app.app_context():
        near_barcode = db.session.get(Location, two_lots["near"]).barcode
    response = scan(client, f"/inbound/putaway/{two_lots['task']}/scan", near_barcode)
    text = response.get_data(as_text=True)
    assert sound(response) == "scan-error" and "holds lot OLD-LOT" in text and "NEW-LOT" in text
    assert stock_rows(app) == before
    with app.app_context():
        assert db.session.get(PutawayTask, two_lots["task"]).status == "open"
        assert lot_qty(two_lots["a"], two_lots["near"], two_lots["new"]) == 0


def test_a_bin_that_mixes_lots_takes_another_lot_of_the_sku(app, login_as, two_lots):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    with app.app_context():
        near = db.session.get(Location, two_lots["near"])
        near.mixed_lots, near_barcode = True, near.barcode
        db.session.commit()
    response = scan(login_as("picker"), f"/inbound/putaway/{two_lots['task']}/scan", near_barcode)
    assert sound(response) == "scan-ok", response.get_data(as_text=True)
    with app.app_context():
        assert lot_qty(two_lots["a"], two_lots["near"], two_lots["new"]) == 5
        assert lot_qty(two_lots["a"], two_lots["near"], two_lots["old"]) == 5


def test_scanning_the_lot_label_in_staging_opens_that_lots_putaway_task(app, login_as, two_lots):
    response = scan(login_as("picker"), "/inbound/putaway/scan", f"(01){GTIN_A}(10)NEW-LOT")
    assert response.headers["HX-Redirect"] == f"/inbound/putaway/{two_lots['task']}"


def test_mixed_lots_is_set_in_the_bin_form(app, login_as, dock):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    client = login_as("admin")
    with app.app_context():
        loc = db.session.get(Location, dock["near"])
        path = f"/locations/{loc.warehouse_id}/bins/{loc.id}/edit"
        form = {"code": loc.code, "barcode": loc.barcode, "bin_type": loc.bin_type, "capacity": str(loc.capacity),
                "active": "y"}
    response = client.post(path, data={**form, "csrf_token": page_csrf(client, path)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Location, dock["near"]).mixed_lots is False


def test_the_layout_csv_turns_a_bin_into_a_single_lot_bin_and_refuses_a_bad_flag(app, dock):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.locations.layout_csv import bins_csv, import_bins_csv

    with app.app_context():
        content = (b"code,mixed_lots\r\nR-01,0\r\nR-02,maybe\r\n")
        result = import_bins_csv(dock["sh"], "bins.csv", content)
        assert result.updated == 1 and [e.code for e in result.errors] == ["bad_mixed_lots"]
        assert db.session.get(Location, dock["near"]).mixed_lots is False
        assert db.session.get(Location, dock["far"]).mixed_lots is True
        exported = bins_csv(dock["sh"]).decode("utf-8-sig")
        assert exported.splitlines()[0].endswith(",active,mixed_lots")
        assert import_bins_csv(dock["sh"], "bins.csv", exported.encode()).updated == 0
