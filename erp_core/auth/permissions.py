"""Roles and what each may do. Pure data: routes declare a permission, never a list of roles."""

from __future__ import annotations

ROLES: tuple[str, ...] = (
    "admin", "supervisor", "picker", "packer", "shipping", "purchaser", "finance", "viewer",
)

# Role labels are marked for translation where they are shown (see erp_core/code_labels.py).
_ALL = set(ROLES)
_OFFICE = {"admin", "supervisor", "purchaser", "finance", "viewer"}
_FLOOR = {"admin", "supervisor", "picker", "packer", "shipping"}

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset(_ALL),
    "account.self": frozenset(_ALL),
    "admin.users": frozenset({"admin"}),
    "admin.warehouses": frozenset({"admin"}),
    "admin.tokens": frozenset({"admin"}),
    "catalog.view": frozenset(_OFFICE | _FLOOR),
    "catalog.edit": frozenset({"admin", "purchaser"}),
    "orders.view": frozenset(_OFFICE | {"shipping"}),
    "orders.create": frozenset({"admin", "supervisor"}),
    "orders.audit": frozenset({"admin", "supervisor"}),
    "stock.view": frozenset(_ALL),
    "stock.adjust": frozenset({"admin", "supervisor"}),
    "stock.transfer": frozenset({"admin", "supervisor"}),
    "picking.work": frozenset({"admin", "supervisor", "picker"}),
    "picking.manage": frozenset({"admin", "supervisor"}),
    "sorting.work": frozenset({"admin", "supervisor", "picker", "packer"}),
    "packing.work": frozenset({"admin", "supervisor", "packer", "shipping"}),
    "shipping.work": frozenset({"admin", "supervisor", "shipping"}),
    "shipping.manage": frozenset({"admin", "supervisor"}),  # carriers, pools, rules, boxes, printers, templates
    "exceptions.work": frozenset({"admin", "supervisor"}),  # the exceptions desk (异常)
    "purchasing.edit": frozenset({"admin", "purchaser"}),
    "finance.view": frozenset({"admin", "finance"}),
    "board.view": frozenset({"admin", "supervisor", "viewer"}),
    "locations.manage": frozenset({"admin", "supervisor"}),
    "inbound.work": frozenset({"admin", "supervisor", "picker", "packer", "shipping", "purchaser"}),
    "replenish.work": frozenset({"admin", "supervisor", "picker"}),
    "counts.work": frozenset({"admin", "supervisor", "picker"}),
    "counts.approve": frozenset({"admin", "supervisor"}),
    # Customers (客户): the office reads them; the purchaser buys from suppliers and has no need to.
    "customers.view": frozenset({"admin", "supervisor", "finance", "viewer"}),
    "customers.edit": frozenset({"admin", "supervisor"}),  # tags, notes, complaints, blacklist, merge
    "customers.settings": frozenset({"admin"}),  # VIP tier thresholds and RFM cut-offs
    # Phone numbers are personal data: without this permission a customer's phone is shown masked.
    "customers.personal_data": frozenset({"admin", "supervisor", "finance"}),
}


def role_allows(role: str, permission: str) -> bool:
    """True when the role grants the permission. Unknown permissions are denied."""
    allowed = PERMISSIONS.get(permission)
    return allowed is not None and role in allowed
