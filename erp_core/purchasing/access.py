"""Who may see which purchase order: a supplier's user only its supplier's (others answer 404, as if
they did not exist); an office user the POs of its warehouses (others 403, as everywhere else)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from ..extensions import db
from .models import PurchaseOrder


def is_supplier_user() -> bool:
    return current_user.role == "supplier"


def scope_orders(stmt: Select) -> Select:
    """Restrict a PurchaseOrder query to what the current user may see."""
    if is_supplier_user():
        # A supplier user not linked to a supplier sees nothing (never everything).
        return stmt.where(PurchaseOrder.supplier_id == (current_user.supplier_id or -1))
    allowed = current_user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(PurchaseOrder.warehouse_id.in_(allowed))
    return stmt


def order_for(po_id: int) -> PurchaseOrder:
    """The PO if the current user may see it: 404 when missing or another supplier's, 403 when it
    lies in a warehouse the (office) user may not work in."""
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        abort(404)
    if is_supplier_user():
        if current_user.supplier_id is None or po.supplier_id != current_user.supplier_id:
            abort(404)
        return po
    if not current_user.may_access_warehouse(po.warehouse_id):
        abort(403)
    return po
