"""A shipping desk in tests: a warehouse with stock, a packing station, box types, a number-pool carrier
and a manual one, and orders picked through the real picking services (so their units and
reservations lie on the cart, as the floor leaves them).

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)]])
    order_ids, station = desk["orders"], desk["station"]
"""

from __future__ import annotations

from sqlalchemy import select

from tests.builders import FloorBuilder

POOL = [f"ZT{n:010d}" for n in range(7000000001, 7000000031)]  # 30 numbers of the ZTO pool


def shipping_floor(app, users, *, orders, wave_rules: dict | None = None, pick: bool = True) -> dict:
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec, create_bin
    from wms.shipping.models import BoxType, Carrier, CarrierRule, TrackingNumber

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=6, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Thermos cup", barcodes=["6901234567892"], weight_g=320, dims_mm=(80, 80, 220))
                 .stock("A", "A01-01-1", 20)
                 .sku("B", "Phone case", barcodes=["BC-B"], weight_g=40, dims_mm=(90, 20, 170))
                 .stock("B", "A01-03-1", 20)
                 .sku("C", "Yoga mat", barcodes=["BC-C"], weight_g=1100, dims_mm=(600, 120, 120))
                 .stock("C", "A01-05-1", 10)
                 .build())
        station = create_bin(floor["wh"], "PACK-01", "packing").id
        create_bin(floor["wh"], "PACK-02", "packing")
        db.session.add_all([
            BoxType(code="S", name="Small", name_zh="小箱", inner_length_mm=250, inner_width_mm=180,
                    inner_height_mm=100, tare_g=60, cost="0.80"),
            BoxType(code="M", name="Medium", name_zh="中箱", inner_length_mm=350, inner_width_mm=250,
                    inner_height_mm=250, tare_g=150, cost="1.50"),
            BoxType(code="L", name="Large", name_zh="大箱", inner_length_mm=650, inner_width_mm=400,
                    inner_height_mm=300, tare_g=400, cost="3.00"),
        ])
        zto = Carrier(code="ZTO", name="ZTO Express", name_zh="中通快递", kind="pool", label_format="76x130")
        manual = Carrier(code="SF", name="SF Express", name_zh="顺丰速运", kind="manual", label_format="100x150")
        db.session.add_all([zto, manual])
        db.session.flush()
        db.session.add_all([TrackingNumber(carrier_id=zto.id, number=n) for n in POOL])
        db.session.add(CarrierRule(priority=10, carrier_id=zto.id))
        db.session.commit()
        order_ids = [make_order(f"S{i}", lines, phone=f"1380013811{i}") for i, lines in enumerate(orders)]
        for order_id in order_ids:
            approve_order(order_id)
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        desk = {"wh": floor["wh"], "orders": order_ids, "station": station, "picker": picker,
                "skus": {code: floor[code] for code in "ABC"}, "zto": zto.id, "sf": manual.id,
                "boxes": dict(db.session.execute(select(BoxType.code, BoxType.id)).all())}
    if pick:
        release_and_pick(app, desk, **(wave_rules or {}))
    return desk


def release_and_pick(app, desk: dict, **rules) -> None:
    """Release every released order of the desk's warehouse in waves and pick everything."""
    from erp_core.extensions import db
    from wms.picking.planning import WaveRules
    from wms.picking.services import confirm_pick, next_task, pick_list_for
    from wms.picking.waves import release_waves

    with app.app_context():
        release_waves(desk["wh"], WaveRules(**rules))
        while (pick_list := pick_list_for(desk["picker"], None)) is not None:
            while (task := next_task(pick_list)) is not None:
                barcode = task.sku.barcodes[0].code
                for _ in range(task.quantity - task.picked_quantity):
                    confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=barcode, user_id=desk["picker"],
                                 lot_number=task.lot.lot_number if task.lot_id else "")
                db.session.refresh(pick_list)
            db.session.expire_all()


def order_lines(order_id: int) -> dict[str, int]:
    """{SKU code: order line id} of an order's pick lines."""
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine

    return {line.sku.code: line.id for line in db.session.scalars(select(OrderLine).filter_by(order_id=order_id))}


def reserved_where(order_id: int) -> dict[str, int]:
    """{location code: units} the order's reservations hold now."""
    from sqlalchemy import func

    from erp_core.extensions import db
    from erp_core.inventory.models import Location, StockReservation
    from erp_core.orders.models import OrderLine

    db.session.expire_all()
    return dict(db.session.execute(
        select(Location.code, func.sum(StockReservation.quantity)).join(Location)
        .join(OrderLine, OrderLine.id == StockReservation.order_line_id).where(OrderLine.order_id == order_id)
        .group_by(Location.code)).all())
