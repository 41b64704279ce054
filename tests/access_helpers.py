"""Two warehouses' worth of floor work for the object-level access tests: SH1 (Shanghai) and SZ1
(Shenzhen) each with stock, a batch-and-sort wave picked onto its cart (so the put wall has work),
and a user limited to SH1 of each floor role.

    two = two_warehouses(app, users)
    two["sz"]["list"], two["sz"]["cart"], two["sz"]["orders"]  # SZ1's objects, for SH1's users
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import PASSWORD

WANTS = (("A", 1), ("B", 1))  # each order: one A, one B


def _release_and_pick(wh_id: int, picker_id: int) -> int:
    """Release the warehouse's orders as one batch-and-sort wave and pick its cart; its pick list id."""
    from erp_core.extensions import db
    from wms.picking.models import PickList, Wave
    from wms.picking.planning import WaveRules
    from wms.picking.services import confirm_pick, next_task
    from wms.picking.waves import release_waves

    waves, plan = release_waves(wh_id, WaveRules(multi_item_mode="batch_sort", cart_slots=6))
    assert plan.excluded == {} and [w.kind for w in waves] == ["batch_sort"], plan.excluded
    pick_list = db.session.scalar(select(PickList).join(Wave).where(Wave.warehouse_id == wh_id))
    pick_list.picker_id = picker_id
    db.session.commit()
    while (task := next_task(pick_list)) is not None:
        for _ in range(task.quantity - task.picked_quantity):
            confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=task.sku.barcodes[0].code,
                         user_id=picker_id)
        db.session.refresh(pick_list)
    return pick_list.id


def two_warehouses(app, users) -> dict:
    """SH1 and SZ1, each: A and B in its own bins, two released orders picked onto a batch cart.
    Users `sh_<role>` limited to SH1 for every role of `users`."""
    from erp_core.auth.models import User
    from erp_core.auth.services import create_user
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="sh")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=4, levels=1))
                 .warehouse("SZ1", "Shenzhen", province="广东省", key="sz")
                 .layout(ZoneSpec("A", aisles=1, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).sku("B", "Item B", barcodes=["BC-B"])
                 .stock("A", "A01-01-1", 10, warehouse="sh").stock("B", "A01-03-1", 10, warehouse="sh")
                 .stock("A", "A01-01-1", 10, warehouse="sz").stock("B", "A01-03-1", 10, warehouse="sz")
                 .build())
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        made: dict = {"A": floor["A"], "B": floor["B"], "sku_ids": [floor["A"], floor["B"]]}
        for key, province, prefix in (("sh", "上海", "SH"), ("sz", "广东省", "SZ")):
            orders = [make_order(f"{prefix}-{i}", list(WANTS), province=province, phone=f"1390013{key == 'sz':d}00{i}")
                      for i in range(2)]
            for order_id in orders:
                approve_order(order_id)
            list_id = _release_and_pick(floor[key], picker)
            cart = db.session.scalar(select(Location.barcode).filter_by(warehouse_id=floor[key],
                                                                       code=f"CART-{list_id}"))
            made[key] = {"wh": floor[key], "orders": orders, "list": list_id, "cart": cart,
                         "bins": {"A": floor.bin("A01-01-1", key), "B": floor.bin("A01-03-1", key)}}
        made["limited"] = {}
        for role in users:
            user = create_user(f"sh_{role}", PASSWORD, role, warehouse_ids=[floor["sh"]])
            made["limited"][role] = user.id
        db.session.remove()
    return made


def ledger_and_statuses(app) -> dict:
    """What a refused call must leave as it was: the ledger, the quants and reservations, the
    statuses of orders, waves, pick lists and tasks."""
    from erp_core.extensions import db

    names = ("stock_moves", "quants", "stock_reservations", "orders", "waves", "pick_lists", "pick_tasks",
             "shipments", "asns", "putaway_tasks", "replenishment_tasks", "count_tasks")
    with app.app_context(), db.engine.connect() as conn:
        tables = [db.metadata.tables[n] for n in names if n in db.metadata.tables]
        return {t.name: conn.execute(select(t).order_by(*t.primary_key.columns)).all() for t in tables} | {
            "moves": conn.execute(select(func.count()).select_from(db.metadata.tables["stock_moves"])).scalar()}
