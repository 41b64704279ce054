"""Stock screens: levels per SKU and warehouse, one SKU's bins and ledger, and adjustments with a
reason code, for users of all warehouses and for users limited to one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import PASSWORD, login, page_csrf


@pytest.fixture
def stock(app):
    """SH1: A-01 with 10 CUP-1 (3 reserved) and 4 PEN-1, R-01 with 7 CUP-1 of which 1 was shipped to SZ1
    (in transit); SZ1: B-01 with 2 CUP-1."""
    from erp_core.inventory.transfers import create_transfer, ship_transfer
    from tests.stock_helpers import reserve

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", name_zh="上海主仓", key="sh1")
                 .warehouse("SZ1", "Shenzhen", name_zh="深圳小仓", key="sz1")
                 .bin("A-01", "pick", key="a", warehouse="sh1")
                 .bin("R-01", "reserve", key="r", warehouse="sh1")
                 .bin("B-01", "pick", key="b", warehouse="sz1")
                 .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], key="cup")
                 .sku("PEN-1", "Gel pen", name_zh="中性笔", key="pen")
                 .stock("cup", "a", 10, reference="PO-7")
                 .stock("cup", "r", 7, reference="PO-7")
                 .stock("pen", "a", 4)
                 .stock("cup", "b", 2)
                 .build())
        reserve(floor["cup"], floor["a"], 3)
        # 1 CUP-1 leaves SH1's reserve bin towards SZ1 and is still on the road
        transfer = create_transfer(floor["sh1"], floor["sz1"], [(floor["cup"], 1, floor["r"])])
        ship_transfer(transfer.id)
        return {**floor, "transfer": transfer.reference}


@pytest.fixture
def sz_clerk(app, stock, client):
    """A supervisor limited to SZ1, logged in."""
    from erp_core.auth.services import create_user

    with app.app_context():
        create_user("sz-clerk", PASSWORD, "supervisor", warehouse_ids=[stock["sz1"]])
    assert login(client, "sz-clerk").status_code == 302
    return client


def _rows(page):
    return {(r.sku_code, r.warehouse_code): (r.figures.on_hand, r.figures.reserved, r.figures.available,
                                             r.figures.in_transit, r.figures.incoming) for r in page.items}


def test_the_overview_shows_on_hand_reserved_available_and_in_transit_per_sku_and_warehouse(app, stock):
    from erp_core.inventory.stock_queries import stock_overview

    with app.app_context():
        page = stock_overview(warehouse_ids=None)
        assert _rows(page) == {("CUP-1", "SH1"): (16, 3, 13, 0, 0), ("CUP-1", "SZ1"): (2, 0, 2, 1, 1),
                               ("PEN-1", "SH1"): (4, 0, 4, 0, 0)}
        assert [(r.sku_code, r.warehouse_code) for r in page.items] == [("CUP-1", "SH1"), ("CUP-1", "SZ1"),
                                                                         ("PEN-1", "SH1")]


def test_the_overview_filters_by_warehouse_search_and_available_stock_and_pages(app, stock):
    from erp_core.inventory.stock_queries import stock_overview
    from tests.stock_helpers import reserve

    with app.app_context():
        assert set(_rows(stock_overview(warehouse_ids={stock["sz1"]}))) == {("CUP-1", "SZ1")}
        assert set(_rows(stock_overview(warehouse_ids=None, query="6901234567892"))) == {("CUP-1", "SH1"),
                                                                                         ("CUP-1", "SZ1")}
        assert set(_rows(stock_overview(warehouse_ids=None, query="gel"))) == {("PEN-1", "SH1")}
        assert set(_rows(stock_overview(warehouse_ids=None, query="中性"))) == {("PEN-1", "SH1")}
        reserve(stock["pen"], stock["a"], 4)
        assert ("PEN-1", "SH1") not in _rows(stock_overview(warehouse_ids=None, only_available=True))
        second = stock_overview(warehouse_ids=None, page=2, per_page=2)
        assert (second.total, second.pages, [r.sku_code for r in second.items]) == (3, 2, ["PEN-1"])


def test_the_stock_page_lists_the_numbers_and_finds_a_scanned_barcode(app, stock, login_as):
    client = login_as("viewer")
    page = client.get("/stock?q=6901234567892").get_data(as_text=True)
    assert "CUP-1" in page and "PEN-1" not in page
    assert ">16<" in page and ">13<" in page  # on hand and available in SH1
    only = client.get(f"/stock?warehouse={stock['sz1']}&available=1").get_data(as_text=True)
    assert "SZ1" in only and "SH1</td>" not in only


def test_a_user_limited_to_one_warehouse_sees_only_its_stock(app, stock, sz_clerk):
    # given a clerk of SZ1
    page = sz_clerk.get("/stock").get_data(as_text=True)
    # then SH1's rows, bins and moves are hidden from them
    assert "SZ1" in page and "SH1</td>" not in page and "PEN-1" not in page
    assert sz_clerk.get(f"/stock?warehouse={stock['sh1']}").status_code == 403
    detail = sz_clerk.get("/stock/sku/CUP-1").get_data(as_text=True)
    assert "SZ1 · B-01" in detail and "A-01" not in detail and "PO-7" not in detail
    assert stock["transfer"] not in detail  # its move touched SH1 and transit only
    low = sz_clerk.get("/stock/low").get_data(as_text=True)
    assert "SH1 ·" not in low


def test_the_sku_page_shows_bins_with_reservations_and_the_ledger_newest_first(app, stock, login_as):
    page = login_as("viewer").get("/stock/sku/CUP-1").get_data(as_text=True)
    bins, ledger = page.split("<h2>Stock moves</h2>")
    assert "SH1 · A-01" in bins and ">10<" in bins and ">3<" in bins and ">7<" in bins
    # the newest move (the transfer out) comes before the first receipt, with its reference
    assert ledger.index("Transfer out") < ledger.index("Receipt")
    assert stock["transfer"] in ledger and "In transit" in ledger and "PO-7" in ledger


def test_the_sku_ledger_pages_and_names_the_user(app, stock, users):
    from erp_core.inventory.services import move_stock
    from erp_core.inventory.stock_queries import sku_ledger

    with app.app_context():
        move_stock(stock["cup"], stock["r"], stock["a"], 1, reason="replenishment", user_id=users["supervisor"])
        first = sku_ledger(stock["cup"], None, page=1, per_page=2)
        assert (first.total, first.pages) == (5, 3)
        assert (first.items[0].reason, first.items[0].username) == ("replenishment", "supervisor")
        # a SZ1 user sees the receipt into B-01 only: the transfer out touched SH1 and transit
        assert sku_ledger(stock["cup"], {stock["sz1"]}).total == 1


def test_an_unknown_sku_page_is_not_found(app, stock, login_as):
    assert login_as("viewer").get("/stock/sku/NOPE").status_code == 404


def test_an_adjustment_records_the_reason_code_and_the_note(app, stock, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import adjust_counted, ledger_discrepancies
    from erp_core.inventory.stock_queries import parse_adjustment_note, quant_in

    with app.app_context():
        move = adjust_counted(stock["pen"], stock["a"], 1, reason_code="damaged", note=" dropped  from shelf ",
                              user_id=users["supervisor"])
        stored = db.session.get(StockMove, move.id)
        assert (stored.reason, stored.note, stored.quantity) == ("adjustment", "damaged: dropped from shelf", 3)
        assert parse_adjustment_note(stored.note) == ("damaged", "dropped from shelf")
        assert quant_in(stock["pen"], stock["a"]) == (1, 0)
        assert ledger_discrepancies() == []


def test_an_adjustment_below_the_reserved_quantity_is_refused_and_changes_nothing(app, stock):
    from erp_core.errors import InsufficientStock, ValidationFailed
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import adjust_counted
    from erp_core.inventory.stock_queries import quant_in

    with app.app_context():
        moves = db.session.scalar(select(func.count(StockMove.id)))
        with pytest.raises(InsufficientStock):
            adjust_counted(stock["cup"], stock["a"], 2, reason_code="lost")
        with pytest.raises(ValidationFailed):
            adjust_counted(stock["cup"], stock["a"], 5, reason_code="stolen-by-aliens")
        assert quant_in(stock["cup"], stock["a"]) == (10, 3)
        assert db.session.scalar(select(func.count(StockMove.id))) == moves


def test_a_supervisor_adjusts_a_scanned_bin_and_sku_on_the_page(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.stock_queries import quant_in

    client = login_as("supervisor")
    # given the bin barcode and the SKU barcode scanned, the page shows what is there now
    shown = client.get(f"/stock/adjust?warehouse_id={stock['sh1']}&bin_code=SH1-A-01&sku=6901234567892")
    assert "On hand: <strong>10</strong>" in shown.get_data(as_text=True)
    fragment = client.get(f"/stock/adjust/current?warehouse_id={stock['sh1']}&bin_code=A-01&sku=CUP-1",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<strong>10</strong>" in fragment and "<html" not in fragment
    # when a count of 12 is posted as found stock
    token = page_csrf(client, "/stock/adjust")
    response = client.post("/stock/adjust", data={
        "csrf_token": token, "warehouse_id": stock["sh1"], "bin_code": "SH1-A-01", "sku": "6901234567892",
        "counted": "12", "reason": "found", "note": "behind the shelf", "action": "post"})
    # then the quant is 12 and the move carries the reason
    assert response.status_code == 302
    with app.app_context():
        assert quant_in(stock["cup"], stock["a"]) == (12, 3)
        note = db.session.scalar(select(StockMove.note).where(StockMove.reason == "adjustment"))
        assert note == "found: behind the shelf"


def test_the_adjust_page_refuses_a_count_below_the_reserved_units_with_a_clear_message(app, stock, login_as):
    from erp_core.inventory.stock_queries import quant_in

    client = login_as("supervisor")
    token = page_csrf(client, "/stock/adjust")
    response = client.post("/stock/adjust", data={
        "csrf_token": token, "warehouse_id": stock["sh1"], "bin_code": "A-01", "sku": "CUP-1", "counted": "1",
        "reason": "lost", "action": "post"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "3 units in this bin are reserved" in body and "Nothing was changed" in body
    with app.app_context():
        assert quant_in(stock["cup"], stock["a"]) == (10, 3)


def test_the_adjust_page_names_an_unknown_bin_or_sku(app, stock, login_as):
    client = login_as("supervisor")
    token = page_csrf(client, "/stock/adjust")
    body = client.post("/stock/adjust", data={
        "csrf_token": token, "warehouse_id": stock["sh1"], "bin_code": "Z-99", "sku": "NOPE", "counted": "1",
        "reason": "lost", "action": "post"}).get_data(as_text=True)
    assert "No bin with this code" in body and "No SKU with this code" in body


def test_a_picker_reads_stock_but_cannot_adjust_it(app, stock, login_as):
    picker = login_as("picker")
    assert picker.get("/stock/adjust").status_code == 403
    assert picker.get("/stock").status_code == 200


def test_a_limited_user_cannot_post_an_adjustment_in_another_warehouse(app, stock, sz_clerk):
    from erp_core.inventory.stock_queries import quant_in

    token = page_csrf(sz_clerk, "/stock/adjust")
    response = sz_clerk.post("/stock/adjust", data={
        "csrf_token": token, "warehouse_id": stock["sh1"], "bin_code": "A-01", "sku": "PEN-1", "counted": "0",
        "reason": "lost", "action": "post"})
    assert response.status_code == 422
    with app.app_context():
        assert quant_in(stock["pen"], stock["a"]) == (4, 0)


@pytest.mark.parametrize(("path", "chinese", "english"), [
    ("/stock", "仓库", "Warehouse"), ("/stock/sku/CUP-1", "已预占", "Reserved"), ("/stock/adjust", "仓库", "Warehouse"),
    ("/stock/transfers", "状态", "Status"), ("/stock/low", "仓库", "Warehouse")])
def test_the_stock_pages_speak_chinese_to_a_chinese_browser(app, stock, login_as, path, chinese, english):
    client = login_as("supervisor")
    zh = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert zh.status_code == en.status_code == 200
    zh_text, en_text = zh.get_data(as_text=True), en.get_data(as_text=True)
    assert 'lang="zh-CN"' in zh_text and chinese in zh_text and "工作台" in zh_text
    assert 'lang="en"' in en_text and english in en_text and chinese not in en_text
