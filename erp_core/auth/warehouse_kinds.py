"""The warehouse of each kind of erp_core object that has one (see object_access). SKUs, customers,
suppliers, channels and lots have none: every user whose role may see them sees them."""

from __future__ import annotations

from ..aftersales.models import AfterSalesCase
from ..extensions import db
from ..inventory.models import Location, ReorderRule, StockTransfer, Warehouse
from ..orders.models import Order, OrderLine
from ..purchasing.models import PurchaseOrder
from .object_access import MISSING, register_model, register_warehouse_of

register_model("warehouse", Warehouse, lambda wh: wh.id)
register_model("location", Location)
register_model("order", Order)  # None before allocation: visible
register_model("aftersales_case", AfterSalesCase)
register_model("purchase_order", PurchaseOrder)
register_model("reorder_rule", ReorderRule)
register_model("stock_transfer", StockTransfer, lambda t: (t.from_warehouse_id, t.to_warehouse_id))


def _order_line(pk: int):
    line = db.session.get(OrderLine, pk)
    return MISSING if line is None else line.order.warehouse_id


register_warehouse_of("order_line", _order_line)
