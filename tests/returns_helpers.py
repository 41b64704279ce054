"""A returns desk in tests: the shipping floor's warehouse with a returns bin and a damaged bin, a
face cream tracked by lot (two lots), and orders picked, packed and shipped through the real
services, so what the station can take back is what really left.

    desk = returns_floor(app, users)
    desk["orders"]["cups"]   # S0: 2 cups (A) and 1 phone case (B), shipped
    desk["orders"]["cream"]  # S1: 2 face creams (L), one of LOT-1 and one of LOT-2, shipped
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.shipping_helpers import order_lines, release_and_pick, shipping_floor


def returns_floor(app, users, *, ship: bool = True) -> dict:
    from erp_core.catalog.models import Sku, SkuBarcode
    from erp_core.extensions import db
    from erp_core.inventory.lots import get_or_create_lot
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import receive
    from erp_core.models_base import utcnow
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import create_bin

    desk = shipping_floor(app, users, orders=[[("A", 2), ("B", 1)]], pick=False)
    with app.app_context():
        wh = desk["wh"]
        bins = {code: db.session.scalar(select(Location.id).filter_by(warehouse_id=wh, code=code))
                for code in ("A01-01-1", "A01-02-1", "A01-04-1", "A01-06-1")}
        bins["RET-01"] = create_bin(wh, "RET-01", "returns").id
        bins["DMG-01"] = create_bin(wh, "DMG-01", "damaged").id
        cream = Sku(code="L", name="Face cream", weight_g=120, lot_tracked=True, shelf_life_days=720)
        cream.barcodes.append(SkuBarcode(code="BC-L"))
        db.session.add(cream)
        db.session.commit()
        today = utcnow().date()
        lots = {}
        for number, days, bin_code in (("LOT-1", 300, "A01-02-1"), ("LOT-2", 400, "A01-04-1")):
            lot = get_or_create_lot(cream, number, expiry_date=today + timedelta(days=days))
            db.session.commit()
            receive(cream.id, bins[bin_code], 1, reference="PO-1", lot_id=lot.id)
            lots[number] = lot.id
        cream_order = make_order("S1", [("L", 2)], phone="13800138119")
        approve_order(cream_order)
        desk.update(bins=bins, lots=lots, orders={"cups": desk["orders"][0], "cream": cream_order})
        desk["skus"]["L"] = cream.id
    if ship:
        release_and_pick(app, desk)
        with app.app_context():
            for order_id in desk["orders"].values():
                pack_and_ship(desk, order_id)
    return desk


def pack_and_ship(desk: dict, order_id: int) -> str:
    """Pack every unit the order holds into one parcel and ship it; the tracking number."""
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine
    from wms.shipping.services import PackedPackage, pack_out, ship_shipment

    units = {line_id: db.session.get(OrderLine, line_id).quantity for line_id in order_lines(order_id).values()}
    outcome = pack_out(order_id, station_location_id=desk["station"], packages=[
        PackedPackage(desk["boxes"]["M"], 1000, units)], user_id=None, override_weight=True)
    return ship_shipment(outcome.shipment.id).tracking_number


def quant(sku_id: int, location_id: int, lot_id: int | None = None) -> int:
    """Units of a SKU (and lot) in a location now."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant
    from erp_core.inventory.services import quant_is

    db.session.expire_all()
    found = db.session.scalar(select(Quant.quantity).where(quant_is(sku_id, location_id, lot_id)))
    return int(found or 0)


def case_moves(number: str) -> list[tuple[str, str, str, int, str | None]]:
    """(reason, from, to, units, lot number) of every ledger move of a case, in order."""
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove

    db.session.expire_all()
    moves = db.session.scalars(select(StockMove).filter_by(reference=number).order_by(StockMove.id))
    return [(m.reason, m.from_location.code, m.to_location.code, m.quantity, m.lot.lot_number if m.lot else None)
            for m in moves]
