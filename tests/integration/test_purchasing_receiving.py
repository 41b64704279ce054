"""A purchase order received on the handheld (入库): its lines, its status, the receipt rows with their
landed cost and the ledger move in one transaction; over-receipt refused; races on the last unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, race, unexpected
from tests.integration.test_receiving import scan, sound
from tests.purchasing_helpers import EAN_A, client_as, make_po, post_form, purchasing_floor


@pytest.fixture
def floor(app, users):
    return purchasing_floor(app)


def _po(app, po_id: int):
    from erp_core.extensions import db
    from erp_core.purchasing.models import PurchaseOrder

    with app.app_context():
        po = db.session.get(PurchaseOrder, po_id)
        return po.status, {line.sku.code: (line.quantity, line.received_quantity) for line in po.lines}


def _ledger(app, sku_id: int, location_id: int) -> tuple[int, int]:
    """(quant quantity, sum of receipt moves into the bin): the two must agree."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant, StockMove

    with app.app_context():
        quant = db.session.scalar(select(Quant.quantity).filter_by(sku_id=sku_id, location_id=location_id)) or 0
        moved = db.session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).filter_by(
            sku_id=sku_id, to_location_id=location_id, reason="receipt"))
        return quant, int(moved)


def _latest_asn(app, po_id: int) -> tuple[int, str]:
    from erp_core.extensions import db
    from wms.locations.models import Asn

    with app.app_context():
        asn = db.session.scalars(select(Asn).filter_by(purchase_order_id=po_id).order_by(Asn.id.desc())).first()
        return asn.id, asn.reference


def _counts(app) -> tuple[int, int, int]:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.outbox import OutboxMessage
    from erp_core.purchasing.models import PurchaseReceipt

    with app.app_context():
        return (db.session.scalar(select(func.count(StockMove.id))),
                db.session.scalar(select(func.count(PurchaseReceipt.id))),
                db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(topic="purchasing.receipt")))


def test_a_po_received_in_two_shipments_on_the_handheld_ends_received_with_the_ledger_right(app, floor):
    # given a PO for 10 A and 4 B, sent and confirmed by the supplier
    po_id = make_po(app, floor, [("a", 10, None), ("b", 4, None)], status="confirmed")
    supplier, dock = client_as(app, "acme"), client_as(app, "picker")
    # when the supplier announces a first shipment of 6 A and 4 B
    made = post_form(supplier, f"/inbound/po/{po_id}/asn", {f"qty-{floor['a']}": "6", f"qty-{floor['b']}": "4"},
                     page=f"/purchasing/orders/{po_id}")
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/purchasing/orders/{po_id}")
    asn_id, first_ref = _latest_asn(app, po_id)
    # and the dock scans them in: 6 A as one typed quantity, B one by one, then finishes the receipt
    path = f"/inbound/receive/{asn_id}/scan"
    assert sound(scan(dock, path, EAN_A, quantity="6")) == "scan-ok"
    for _ in range(4):
        assert sound(scan(dock, path, "B")) == "scan-ok"
    assert post_form(dock, f"/inbound/receive/{asn_id}/finish", page="/m/").status_code == 302
    # then the PO is partially received, with the received quantities on its lines
    assert _po(app, po_id) == ("partially_received", {"A": (10, 6), "B": (4, 4)})
    # when the rest (4 A) comes on a second ASN and is received
    post_form(supplier, f"/inbound/po/{po_id}/asn", {f"qty-{floor['a']}": "4", f"qty-{floor['b']}": "0"},
              page=f"/purchasing/orders/{po_id}")
    second_id, second_ref = _latest_asn(app, po_id)
    assert second_id != asn_id
    assert sound(scan(dock, f"/inbound/receive/{second_id}/scan", EAN_A, quantity="4")) == "scan-ok"
    # then the PO is received and every unit is in staging, on the ledger, once
    assert _po(app, po_id) == ("received", {"A": (10, 10), "B": (4, 4)})
    assert _ledger(app, floor["a"], floor["staging"]) == (10, 10)
    assert _ledger(app, floor["b"], floor["staging"]) == (4, 4)
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.outbox import OutboxMessage
    from erp_core.purchasing.models import PurchaseReceipt

    with app.app_context():
        moves = db.session.scalars(select(StockMove).filter_by(sku_id=floor["a"], reason="receipt",
                                                               to_location_id=floor["staging"])).all()
        assert sorted((m.reference, m.quantity) for m in moves) == sorted([(first_ref, 6), (second_ref, 4)])
        receipts = db.session.scalars(select(PurchaseReceipt).order_by(PurchaseReceipt.id)).all()
        assert [(r.asn_reference, r.quantity) for r in receipts] == [(first_ref, 6)] + [(first_ref, 1)] * 4 + [
            (second_ref, 4)]
        messages = db.session.scalars(select(OutboxMessage).filter_by(topic="purchasing.receipt")).all()
        assert len(messages) == 6 and len({m.key for m in messages}) == 6
    # and a purchaser closes it; the supplier user can no longer announce anything
    purchaser = client_as(app, "purchaser")
    post_form(purchaser, f"/purchasing/orders/{po_id}/close", page=f"/purchasing/orders/{po_id}")
    assert _po(app, po_id)[0] == "closed"


def test_an_under_received_po_stays_partially_received_until_the_purchaser_short_closes_it(app, floor):
    po_id = make_po(app, floor, [("a", 10, None)])
    purchaser, dock = client_as(app, "purchaser"), client_as(app, "picker")
    assert post_form(purchaser, f"/inbound/po/{po_id}/asn", page=f"/purchasing/orders/{po_id}").status_code == 302
    asn_id, _ref = _latest_asn(app, po_id)
    scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A, quantity="7")
    assert _po(app, po_id) == ("partially_received", {"A": (10, 7)})
    # when the purchaser short-closes it
    post_form(purchaser, f"/purchasing/orders/{po_id}/close", page=f"/purchasing/orders/{po_id}")
    # then it is closed with 7 of 10, and the scanner can receive nothing more on it
    assert _po(app, po_id) == ("closed", {"A": (10, 7)})
    refused = scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A)
    assert sound(refused) == "scan-error" and "nothing can be received on it" in refused.get_data(as_text=True)
    assert _ledger(app, floor["a"], floor["staging"]) == (7, 7)


def test_a_scan_beyond_the_po_tolerance_is_refused_and_changes_nothing(app, floor):
    # given a PO for 10 A with a 10 % over-receipt tolerance (at most 11), 10 received
    po_id = make_po(app, floor, [("a", 10, None)], tolerance=10)
    client_as(app, "purchaser")
    post_form(client_as(app, "purchaser"), f"/inbound/po/{po_id}/asn", page=f"/purchasing/orders/{po_id}")
    asn_id, _ref = _latest_asn(app, po_id)
    dock = client_as(app, "picker")
    scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A, quantity="10")
    before = _counts(app)
    # when 2 more are scanned (12 > 11)
    refused = scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A, quantity="2")
    # then the scan is refused with what was ordered and what may still come, and nothing changed
    text = refused.get_data(as_text=True)
    assert sound(refused) == "scan-error"
    assert "Over-receipt refused: A on PO-000001 was ordered 10 and 10 are received; at most 11 may be." in text
    assert _counts(app) == before
    assert _po(app, po_id) == ("received", {"A": (10, 10)})
    assert _ledger(app, floor["a"], floor["staging"]) == (10, 10)
    # and one more unit (11, within the tolerance) is accepted
    assert sound(scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A)) == "scan-error"  # over the ASN: flagged
    assert _po(app, po_id) == ("received", {"A": (10, 11)})


def test_each_receipt_records_the_landed_unit_cost_with_the_freight_spread_by_value(app, floor):
    # given a PO: A 10 x 5.00 = 50, B 5 x 30.00 = 150, freight 20.00
    # A carries 20 x 50/200 = 5.00 (0.50 a unit) -> 5.5000; B 15.00 (3.00 a unit) -> 33.0000
    po_id = make_po(app, floor, [("a", 10, "5.00"), ("b", 5, "30.00")], freight="20.00")
    post_form(client_as(app, "purchaser"), f"/inbound/po/{po_id}/asn", page=f"/purchasing/orders/{po_id}")
    asn_id, ref = _latest_asn(app, po_id)
    dock = client_as(app, "picker")
    scan(dock, f"/inbound/receive/{asn_id}/scan", EAN_A, quantity="4")
    scan(dock, f"/inbound/receive/{asn_id}/scan", "B", quantity="5")
    from erp_core.extensions import db
    from erp_core.outbox import OutboxMessage
    from erp_core.purchasing.models import PurchaseReceipt

    with app.app_context():
        rows = db.session.scalars(select(PurchaseReceipt).order_by(PurchaseReceipt.id)).all()
        assert [(r.line.sku.code, r.quantity, r.landed_unit_cost) for r in rows] == [
            ("A", 4, Decimal("5.5000")), ("B", 5, Decimal("33.0000"))]
        payload = db.session.scalars(select(OutboxMessage).filter_by(topic="purchasing.receipt")
                                     .order_by(OutboxMessage.id)).first().data()
        assert payload["purchase_order"] == "PO-000001" and payload["sku"] == "A" and payload["quantity"] == 4
        assert payload["landed_unit_cost"] == "5.5000" and payload["asn"] == ref and payload["supplier"] == "ACME"


def test_two_receipts_of_the_last_unit_at_once_never_over_receive(app, floor):
    # given a PO for 5 A (no tolerance), 4 received, and the last unit announced on two ASNs
    from erp_core.extensions import db
    from wms.locations.asn_services import create_asn
    from wms.locations.receiving import receive_scan

    po_id = make_po(app, floor, [("a", 5, None)])
    with app.app_context():
        first = create_asn(floor["sh"], [(floor["a"], 5)], purchase_order_id=po_id)
        receive_scan(first.id, floor["a"], 4)
        second = create_asn(floor["sh"], [(floor["a"], 1)], purchase_order_id=po_id)
        ids = (first.id, second.id)
        db.session.remove()
    # when the last unit is scanned on both ASNs at the same moment
    outcomes = race(app, lambda: receive_scan(ids[0], floor["a"], 1).quantity,
                    lambda: receive_scan(ids[1], floor["a"], 1).quantity)
    # then one receipt wins, the other is refused cleanly, and the PO has exactly 5
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]
    assert next(o for o in outcomes if not o.ok).code == "po_over_receipt"
    assert _po(app, po_id) == ("received", {"A": (5, 5)})
    assert _ledger(app, floor["a"], floor["staging"]) == (5, 5)
