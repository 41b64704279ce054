"""Transfers between warehouses (调拨): draft, ship into transit, receive in parts, and the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from erp_core.errors import Conflict, InsufficientStock, ValidationFailed
from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def stock(app):
    """SH1: pick face A-01 (10 units), reserve bin R-01 (5), damaged bin DMG (4); SZ1: empty bin B-01."""
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", name_zh="上海主仓", key="sh1")
             .warehouse("SZ1", "Shenzhen", name_zh="深圳小仓", key="sz1")
             .bin("R-01", "reserve", key="reserve", warehouse="sh1")
             .bin("A-01", "pick", key="pick", warehouse="sh1")
             .bin("DMG", "damaged", key="damaged", warehouse="sh1")
             .bin("B-01", "pick", key="dest", warehouse="sz1")
             .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], key="sku")
             .stock("sku", "pick", 10)
             .stock("sku", "reserve", 5)
             .stock("sku", "damaged", 4)
             .build(app))
    return dict(floor)


def _qty(sku_id: int, location_id: int) -> tuple[int, int]:
    from erp_core.extensions import db
    from erp_core.inventory.stock_queries import quant_in

    db.session.expire_all()
    return quant_in(sku_id, location_id)


def _moves() -> int:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    return db.session.scalar(select(func.count(StockMove.id)))


def test_a_new_transfer_is_a_draft_with_a_tr_reference_and_moves_nothing(app, stock):
    from erp_core.inventory.transfers import create_transfer

    with app.app_context():
        moves_before = _moves()
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 3, stock["pick"])], note="weekly")
        assert transfer.status == "draft"
        assert transfer.reference == f"TR-{transfer.id:06d}"
        assert _moves() == moves_before
        assert _qty(stock["sku"], stock["pick"]) == (10, 0)


def test_a_transfer_to_the_same_warehouse_or_without_lines_is_refused(app, stock):
    from erp_core.inventory.transfers import create_transfer

    with app.app_context():
        with pytest.raises(ValidationFailed):
            create_transfer(stock["sh1"], stock["sh1"], [(stock["sku"], 1, None)])
        with pytest.raises(ValidationFailed):
            create_transfer(stock["sh1"], stock["sz1"], [])
        with pytest.raises(ValidationFailed):  # a source bin of the other warehouse
            create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 1, stock["dest"])])


def test_shipping_puts_the_units_in_transit_towards_the_destination(app, stock):
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.inventory.stock_queries import figures_of, in_transit
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        # given a draft of 3 units from the pick face
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 3, stock["pick"])])
        # when it ships
        shipped = ship_transfer(transfer.id)
        # then the source bin lost them, the destination sees them in transit, and the ledger holds
        assert shipped.status == "shipped" and shipped.shipped_at is not None
        assert _qty(stock["sku"], stock["pick"]) == (7, 0)
        assert in_transit() == {(stock["sku"], stock["sz1"]): 3}
        destination = figures_of(stock["sku"], stock["sz1"])
        assert (destination.on_hand, destination.in_transit, destination.incoming) == (0, 3, 3)
        assert figures_of(stock["sku"], stock["sh1"]).in_transit == 0
        assert ledger_discrepancies() == []


def test_shipping_without_a_bin_takes_the_pick_face_first_then_reserve_and_never_damaged_goods(app, stock):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 12, None)])
        ship_transfer(transfer.id)
        assert _qty(stock["sku"], stock["pick"]) == (0, 0)
        assert _qty(stock["sku"], stock["reserve"]) == (3, 0)
        assert _qty(stock["sku"], stock["damaged"]) == (4, 0)
        out = db.session.scalars(select(StockMove).filter_by(reason="transfer_out").order_by(StockMove.id)).all()
        assert [(m.from_location_id, m.quantity, m.reference) for m in out] == [
            (stock["pick"], 10, transfer.reference), (stock["reserve"], 2, transfer.reference)]


def test_shipping_more_than_is_available_is_refused_and_changes_nothing(app, stock):
    from erp_core.inventory.stock_queries import in_transit
    from erp_core.inventory.transfers import create_transfer, get_transfer, ship_transfer
    from tests.stock_helpers import reserve

    with app.app_context():
        # given 10 + 5 units in pick and reserve bins, 4 of them reserved for orders
        reserve(stock["sku"], stock["pick"], 4)
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 5, stock["reserve"]),
                                                                 (stock["sku"], 12, None)])
        moves_before = _moves()
        # when a transfer asks for 5 + 12 = 17 of the 11 available
        with pytest.raises(InsufficientStock):
            ship_transfer(transfer.id)
        # then not even the first line moved, and the transfer is still a draft
        assert _qty(stock["sku"], stock["reserve"]) == (5, 0)
        assert _qty(stock["sku"], stock["pick"]) == (10, 4)
        assert _moves() == moves_before
        assert get_transfer(transfer.id).status == "draft"
        assert in_transit() == {}


def test_a_partial_receipt_then_the_rest_completes_the_transfer(app, stock):
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.inventory.stock_queries import figures_of
    from erp_core.inventory.transfers import create_transfer, receive_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 6, stock["pick"])])
        ship_transfer(transfer.id)
        line_id = transfer.lines[0].id
        # when 4 of the 6 arrive
        after_first = receive_transfer(transfer.id, {line_id: 4}, stock["dest"])
        # then 4 are on hand at the destination, 2 still in transit, and the transfer is still open
        assert after_first.status == "shipped"
        assert (figures_of(stock["sku"], stock["sz1"]).on_hand, figures_of(stock["sku"], stock["sz1"]).in_transit) \
            == (4, 2)
        # and when the last 2 arrive the transfer is received
        done = receive_transfer(transfer.id, {line_id: 2}, stock["dest"])
        assert done.status == "received" and done.received_at is not None
        assert _qty(stock["sku"], stock["dest"]) == (6, 0)
        assert figures_of(stock["sku"], stock["sz1"]).in_transit == 0
        assert ledger_discrepancies() == []


def test_receiving_more_than_is_in_transit_is_refused_and_changes_nothing(app, stock):
    from erp_core.inventory.transfers import create_transfer, get_transfer, receive_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 3, stock["pick"])])
        ship_transfer(transfer.id)
        line_id = transfer.lines[0].id
        receive_transfer(transfer.id, {line_id: 2}, stock["dest"])
        moves_before = _moves()
        with pytest.raises(ValidationFailed):
            receive_transfer(transfer.id, {line_id: 2}, stock["dest"])
        with pytest.raises(ValidationFailed):  # into a bin of the source warehouse
            receive_transfer(transfer.id, {line_id: 1}, stock["pick"])
        assert _moves() == moves_before
        assert get_transfer(transfer.id).lines[0].received_quantity == 2
        assert _qty(stock["sku"], stock["dest"]) == (2, 0)


def test_a_transfer_ships_once_and_only_a_draft_can_be_cancelled(app, stock):
    from erp_core.inventory.transfers import cancel_transfer, create_transfer, receive_transfer, ship_transfer

    with app.app_context():
        first = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 1, None)])
        ship_transfer(first.id)
        with pytest.raises(Conflict):
            ship_transfer(first.id)
        with pytest.raises(Conflict):
            cancel_transfer(first.id)
        second = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 1, None)])
        assert cancel_transfer(second.id).status == "cancelled"
        with pytest.raises(Conflict):
            ship_transfer(second.id)
        with pytest.raises(Conflict):
            receive_transfer(second.id, {second.lines[0].id: 1}, stock["dest"])
        assert _qty(stock["sku"], stock["pick"]) == (9, 0)


def test_a_supervisor_creates_ships_and_receives_a_transfer_through_the_pages(app, stock, login_as):
    from erp_core.inventory.models import StockTransfer

    client = login_as("supervisor")
    # given the new-transfer form, filled with a scanned barcode and a source bin
    token = page_csrf(client, "/stock/transfers/new")
    response = client.post("/stock/transfers/new", data={
        "csrf_token": token, "from_warehouse_id": stock["sh1"], "to_warehouse_id": stock["sz1"], "note": "restock",
        "lines-0-sku": "6901234567892", "lines-0-quantity": "5", "lines-0-bin_code": "A-01"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        from erp_core.extensions import db

        transfer = db.session.scalar(select(StockTransfer))
        transfer_id, reference, line_id = transfer.id, transfer.reference, transfer.lines[0].id
    detail = f"/stock/transfers/{transfer_id}"
    assert response.headers["Location"].endswith(detail)
    assert reference in client.get(detail).get_data(as_text=True)
    # when it is shipped, then partly and fully received through the buttons
    token = page_csrf(client, detail)
    assert client.post(f"{detail}/ship", data={"csrf_token": token}).status_code == 302
    client.post(f"{detail}/receive", data={"csrf_token": token, "bin_code": "SZ1-B-01", f"qty-{line_id}": "2"})
    page = client.get(detail).get_data(as_text=True)
    assert "Partly received" in page
    client.post(f"{detail}/receive", data={"csrf_token": token, "bin_code": "B-01", f"qty-{line_id}": "3"})
    # then the destination bin holds all 5 and the list shows the transfer received
    with app.app_context():
        assert _qty(stock["sku"], stock["dest"]) == (5, 0)
        assert _qty(stock["sku"], stock["pick"]) == (5, 0)
    listing = client.get("/stock/transfers?status=received").get_data(as_text=True)
    assert reference in listing


def test_shipping_too_much_through_the_page_shows_an_error_and_keeps_the_draft(app, stock, login_as):
    from erp_core.inventory.transfers import create_transfer

    with app.app_context():
        transfer_id = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 50, None)]).id
    client = login_as("supervisor")
    detail = f"/stock/transfers/{transfer_id}"
    response = client.post(f"{detail}/ship", data={"csrf_token": page_csrf(client, detail)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not enough available stock" in page
    assert "Draft" in page
    with app.app_context():
        assert _qty(stock["sku"], stock["pick"]) == (10, 0)


def test_a_picker_may_read_transfers_but_not_create_or_ship_them(app, stock, login_as):
    from erp_core.inventory.transfers import create_transfer

    with app.app_context():
        transfer_id = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 1, None)]).id
    client = login_as("picker")
    assert client.get("/stock/transfers").status_code == 200
    assert client.get(f"/stock/transfers/{transfer_id}").status_code == 200
    assert client.get("/stock/transfers/new").status_code == 403
    token = page_csrf(client, "/stock/transfers")
    assert client.post(f"/stock/transfers/{transfer_id}/ship", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert _qty(stock["sku"], stock["pick"]) == (10, 0)


def test_the_transfer_pages_speak_chinese_to_a_chinese_browser(app, stock, login_as):
    from erp_core.inventory.transfers import create_transfer

    with app.app_context():
        transfer_id = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 1, None)]).id
    client = login_as("supervisor")
    words = {"/stock/transfers": ("状态", "Status"), "/stock/transfers/new": ("取消", "Cancel"),
             f"/stock/transfers/{transfer_id}": ("状态", "Status")}
    for path, (chinese, english) in words.items():
        zh = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
        en = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert 'lang="zh-CN"' in zh and chinese in zh and english not in zh, path
        assert 'lang="en"' in en and english in en, path


def _race(app, *jobs):
    """Run the jobs at the same moment, each in its own thread and connection; their outcomes."""
    import threading

    from erp_core.errors import DomainError
    from erp_core.extensions import db

    start = threading.Barrier(len(jobs))
    outcomes: list[str] = [""] * len(jobs)

    def run(i, job):
        with app.app_context():
            start.wait()
            try:
                job()
                outcomes[i] = "ok"
            except DomainError as error:
                outcomes[i] = error.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_clerks_shipping_the_same_transfer_at_once_ship_it_once(app, stock):
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        transfer_id = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 4, stock["pick"])]).id
    outcomes = _race(app, lambda: ship_transfer(transfer_id), lambda: ship_transfer(transfer_id))
    assert sorted(outcomes) == ["ok", "transfer_status"]
    with app.app_context():
        assert _qty(stock["sku"], stock["pick"]) == (6, 0)
        assert ledger_discrepancies() == []


def test_receipts_of_the_last_lines_arriving_at_once_still_complete_the_transfer(app, stock):
    from erp_core.catalog.services import create_sku
    from erp_core.inventory.services import receive
    from erp_core.inventory.transfers import create_transfer, get_transfer, receive_transfer, ship_transfer

    with app.app_context():
        # given a shipped transfer of two SKUs
        pen = create_sku("PEN-1", "Pen").id
        receive(pen, stock["pick"], 3)
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["sku"], 2, None), (pen, 3, None)])
        ship_transfer(transfer.id)
        transfer_id, (first, second) = transfer.id, [line.id for line in transfer.lines]
    # when two clerks receive the two lines at the same moment
    outcomes = _race(app, lambda: receive_transfer(transfer_id, {first: 2}, stock["dest"]),
                     lambda: receive_transfer(transfer_id, {second: 3}, stock["dest"]))
    # then both receipts count and the transfer is complete
    assert outcomes == ["ok", "ok"]
    with app.app_context():
        assert get_transfer(transfer_id).status == "received"
        assert _qty(stock["sku"], stock["dest"]) == (2, 0) and _qty(pen, stock["dest"]) == (3, 0)
