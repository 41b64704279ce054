"""Roles and what each may do. Pure data: routes declare a permission, never a list of roles."""

from __future__ import annotations

ROLES: tuple[str, ...] = (
    "admin", "supervisor", "picker", "packer", "shipping", "purchaser", "finance", "viewer", "supplier",
)

# Role labels are marked for translation where they are shown (see erp_core/code_labels.py).
# A supplier's user (role "supplier") is an outsider: it sees only its own purchase orders, so it
# is in no set but the purchasing ones that name it. _ALL is the staff, not every role.
_ALL = set(ROLES) - {"supplier"}
_OFFICE = {"admin", "supervisor", "purchaser", "finance", "viewer"}
_FLOOR = {"admin", "supervisor", "picker", "packer", "shipping"}

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset(_ALL),
    "account.self": frozenset(_ALL | {"supplier"}),
    "admin.users": frozenset({"admin"}),
    "admin.warehouses": frozenset({"admin"}),
    "admin.tokens": frozenset({"admin"}),
    # The audit log (操作日志): who changed what, when and from where; search, CSV, the API feed.
    "admin.audit": frozenset({"admin"}),
    # Operations: backups (create, verify; restore is a command) and the integrity check with repairs.
    "admin.backups": frozenset({"admin"}),
    "admin.integrity": frozenset({"admin"}),
    "catalog.view": frozenset(_OFFICE | _FLOOR),
    "catalog.edit": frozenset({"admin", "purchaser"}),
    # Cost prices (成本价): without it the catalogue's pages, exports and API answers omit `cost`.
    "catalog.cost": frozenset({"admin", "purchaser", "finance"}),
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
    "purchasing.edit": frozenset({"admin", "purchaser"}),  # suppliers, their SKUs and prices, POs (采购单)
    "purchasing.view": frozenset(_OFFICE),  # suppliers, suggestions, supplier performance
    # Purchase orders: the office sees all of them, a supplier's user only its own (the routes filter).
    "purchasing.orders": frozenset(_OFFICE | {"supplier"}),
    "purchasing.confirm": frozenset({"admin", "purchaser", "supplier"}),  # quantities and promised date
    "purchasing.asn": frozenset({"admin", "supervisor", "purchaser", "supplier"}),  # an ASN for a PO's shipment
    "finance.view": frozenset({"admin", "finance"}),
    # Reconciliation (对账): import platform and bank statements, mark lines, confirm (posts fees).
    "finance.reconcile": frozenset({"admin", "finance"}),
    # The books: manual journal entries, closing and reopening months, currency rates, supplier payments.
    "finance.post": frozenset({"admin", "finance"}),
    "board.view": frozenset({"admin", "supervisor", "viewer"}),
    "locations.manage": frozenset({"admin", "supervisor"}),
    "inbound.asn_create": frozenset({"admin", "supervisor", "purchaser"}),  # new ASN, ASN import
    "inbound.work": frozenset({"admin", "supervisor", "picker", "packer", "shipping", "purchaser"}),
    "replenish.work": frozenset({"admin", "supervisor", "picker"}),
    "counts.work": frozenset({"admin", "supervisor", "picker"}),
    "counts.approve": frozenset({"admin", "supervisor"}),
    # after-sales (售后): the office reads cases, admin and supervisor open, approve and refund them;
    # the returns station receives and inspects what comes back.
    "aftersales.view": frozenset(_OFFICE),
    "aftersales.manage": frozenset({"admin", "supervisor"}),
    "returns.work": frozenset({"admin", "supervisor", "packer", "shipping"}),
    # Customers (客户): the office reads them; the purchaser buys from suppliers and has no need to.
    "customers.view": frozenset({"admin", "supervisor", "finance", "viewer"}),
    "customers.edit": frozenset({"admin", "supervisor"}),  # tags, notes, complaints, blacklist, merge
    "customers.settings": frozenset({"admin"}),  # VIP tier thresholds and RFM cut-offs
    # Phone numbers are personal data: without this permission a customer's phone is shown masked.
    "customers.personal_data": frozenset({"admin", "supervisor", "finance"}),
    # Reports (报表): sales, customers, products and the floor's operations, with their exports.
    "reports.view": frozenset({"admin", "supervisor", "finance", "viewer"}),
    # Webhooks (事件推送): target URLs and signing secrets are the admin's (a URL is a way out of the network).
    "webhooks.manage": frozenset({"admin"}),
    # Shops (店铺): create and change shops, their platform credentials, SKU links and stock sync.
    "shops.manage": frozenset({"admin"}),
    # Background jobs (后台任务): the page itself; each job is shown to holders of its action's permission.
    "jobs.view": frozenset(_ALL),
}


# API token scopes: `<area>:read` (GET, HEAD) and `<area>:write` (everything else). Each permission
# belongs to one area; None: no scope needed (the token's own user, the home page, the document).
AREAS: tuple[str, ...] = ("catalog", "orders", "stock", "floor", "shipping", "purchasing", "returns", "customers",
                          "finance", "admin")
_AREA_OF_PREFIX = {
    "dashboard": None, "account": None, "admin": "admin", "catalog": "catalog", "orders": "orders",
    "stock": "stock", "locations": "stock", "picking": "floor", "sorting": "floor", "packing": "floor",
    "board": "floor", "inbound": "floor", "replenish": "floor", "counts": "floor", "shipping": "shipping",
    "exceptions": "shipping", "purchasing": "purchasing", "aftersales": "returns", "returns": "returns",
    "customers": "customers", "finance": "finance", "reports": "finance", "shops": "orders", "webhooks": "admin",
    "jobs": None,
}
PERMISSION_AREAS: dict[str, str | None] = {perm: _AREA_OF_PREFIX[perm.split(".")[0]] for perm in PERMISSIONS}
SCOPES: tuple[str, ...] = tuple(f"{area}:{kind}" for area in AREAS for kind in ("read", "write"))


def scope_needed(permission: str, method: str) -> str | None:
    """The token scope a request needs: the permission's area, read for GET/HEAD/OPTIONS, else write."""
    area = PERMISSION_AREAS.get(permission)
    if area is None:
        return None
    return f"{area}:{'read' if method in ('GET', 'HEAD', 'OPTIONS') else 'write'}"


def scopes_for_role(role: str) -> list[str]:
    """Every scope a role can use: read and write of each area where it holds a permission."""
    areas = {PERMISSION_AREAS[perm] for perm, roles in PERMISSIONS.items() if role in roles} - {None}
    return [scope for scope in SCOPES if scope.split(":")[0] in areas]


def role_allows(role: str, permission: str) -> bool:
    """True when the role grants the permission. Unknown permissions are denied."""
    allowed = PERMISSIONS.get(permission)
    return allowed is not None and role in allowed
