"""Two warehouses' worth of floor work for the object-level access tests: SH1 (Shanghai) and SZ1
(Shenzhen) each with stock, a batch-and-sort wave picked onto its cart (so the put wall has work),
and a user limited to SH1 of each floor role.

    two = two_warehouses(app, users)
    two["sz"]["list"], two["sz"]["cart"], two["sz"]["orders"]  # SZ1's objects, for SH1's users
"""

from __future__ import annotations

from decimal import Decimal

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


def objects_of(app, two: dict, key: str = "sz") -> dict[str, int]:
    """One object of every registered kind in that warehouse: {kind: id}. Made through the services
    where one exists (ASN, count, transfer, manifest, printer, exception, reorder rule, PO, case), as
    a plain row where the real way there is a whole pack-out (the shipment, a print job)."""
    from erp_core.aftersales.services import NewCase, NewCaseLine, create_case
    from erp_core.extensions import db
    from erp_core.inventory.alerts import set_reorder_rule
    from erp_core.inventory.transfers import create_transfer
    from erp_core.orders.models import OrderLine
    from erp_core.purchasing.services import NewPo, NewPoLine, create_po
    from erp_core.purchasing.suppliers import create_supplier
    from wms.locations.asn_services import create_asn
    from wms.locations.count_planning import create_count
    from wms.locations.models import PickFace, PutawayTask, ReplenishmentTask
    from wms.picking.models import PickTask
    from wms.shipping.manifests import open_manifest
    from wms.shipping.models import Carrier, PrintJob, Shipment
    from wms.shipping.printing import PrinterSpec, create_printer
    from wms.shipping.services import open_exception

    mine = two[key]
    wh, order_id, bin_a = mine["wh"], mine["orders"][0], mine["bins"]["A"]
    with app.app_context():
        carrier = db.session.scalar(select(Carrier).filter_by(code="ZTO"))
        if carrier is None:
            carrier = Carrier(code="ZTO", name="ZTO Express", name_zh="中通快递", kind="manual", label_format="76x130")
            db.session.add(carrier)
            db.session.commit()
        from erp_core.inventory.services import create_warehouse

        third = create_warehouse(f"X-{key}", "Elsewhere").id  # a transfer's other end: neither SH1 nor SZ1
        supplier = create_supplier({"code": f"SUP-{key}", "name": f"Supplier {key}"})
        shipment = Shipment(reference=f"SHP-{key}", order_id=order_id, warehouse_id=wh, station_location_id=bin_a)
        db.session.add(shipment)
        db.session.flush()
        printer = create_printer(PrinterSpec(name=f"P-{key}", warehouse_id=wh))
        job = PrintJob(printer_id=printer.id, document="waybill", content_type="application/pdf", payload=b"%PDF")
        db.session.add(job)
        replenish = ReplenishmentTask(warehouse_id=wh, sku_id=two["A"], from_location_id=mine["bins"]["B"],
                                      to_location_id=bin_a, quantity=1)
        putaway = PutawayTask(warehouse_id=wh, sku_id=two["A"], from_location_id=bin_a, quantity=1)
        face = PickFace(location_id=bin_a, sku_id=two["A"], min_quantity=1, max_quantity=5)
        db.session.add_all([replenish, putaway, face])
        db.session.commit()
        made = {
            "warehouse": wh, "location": bin_a, "order": order_id, "wave": None, "pick_list": mine["list"],
            "pick_task": db.session.scalar(select(PickTask.id).where(PickTask.pick_list_id == mine["list"])),
            "order_line": db.session.scalar(select(OrderLine.id).filter_by(order_id=order_id)),
            "asn": create_asn(wh, [(two["A"], 5)], reference=f"ASN-{key}").id,
            "count_task": create_count(wh, [bin_a]).id,
            "stock_transfer": create_transfer(wh, third, [(two["A"], 1, bin_a)]).id,
            "manifest": open_manifest(carrier.id, wh).id,
            "printer": printer.id, "print_job": job.id, "shipment": shipment.id,
            "shipping_exception": open_exception("short_pick", order_id, warehouse_id=wh).id,
            "reorder_rule": set_reorder_rule(two["A"], wh, 1, 5).id,
            "purchase_order": create_po(NewPo(supplier.id, wh, [NewPoLine(two["A"], 3, Decimal("1"))])).id,
            "replenishment_task": replenish.id, "putaway_task": putaway.id, "pick_face": face.id,
        }
        from wms.picking.models import PickList

        made["wave"] = db.session.get(PickList, mine["list"]).wave_id
        made["aftersales_case"] = create_case(NewCase(order_id, "refund_only", [NewCaseLine(made["order_line"], 1)],
                                                      refund_amount=Decimal("1"))).id
        db.session.remove()
    return made
