"""Translated labels of the codes stored in the database (roles, statuses, platforms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"), "supervisor": _l("Supervisor"), "picker": _l("Picker"),
    "packer": _l("Packer"), "shipping": _l("Shipping desk"), "purchaser": _l("Purchaser"),
    "finance": _l("Finance"), "viewer": _l("Viewer"), "supplier": _l("Supplier (outside user)"),
}
STATUS_LABELS = {
    "pending": _l("Pending audit"), "held": _l("Held"), "approved": _l("Approved"),
    "backordered": _l("Back-ordered"), "released": _l("Released"), "picking": _l("Picking"),
    "picked": _l("Picked"), "sorted": _l("Sorted"), "packed": _l("Packed"), "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"), "rejected": _l("Rejected"), "intercepted": _l("Intercepted"),
}
PLATFORM_LABELS = {
    "taobao": _l("Taobao"), "tmall": _l("Tmall"), "jd": _l("JD.com"), "pinduoduo": _l("Pinduoduo"),
    "douyin": _l("Douyin"), "shopify": _l("Shopify"), "manual": _l("Manual"), "other": _l("Other"), "api": _l("API"),
}


# Audit reason codes (erp_core/orders/audit.py) as short labels; details stay in the order history.
REASON_LABELS = {
    "cancelled_unpaid": _l("Cancelled before payment"), "blacklisted": _l("Blacklisted buyer"),
    "cancelled_after_payment": _l("Cancelled after payment"), "unpaid": _l("Not paid"),
    "no_lines": _l("No lines"), "address_incomplete": _l("Address incomplete"),
    "out_of_stock": _l("Out of stock"), "auto_approve_off": _l("Auto-approval off"),
    "buyer_note": _l("Buyer note"), "seller_note": _l("Seller note"),
    "amount_above_threshold": _l("Amount above threshold"), "suspected_duplicate": _l("Suspected duplicate"),
    "po_box": _l("PO box address"), "address_too_short": _l("Address too short"),
    "bad_mobile": _l("Invalid mobile number"),
}
EVENT_LABELS = {
    "created": _l("Created"), "imported": _l("Imported"), "approved": _l("Approved"), "held": _l("Held"),
    "rejected": _l("Rejected"), "cancelled": _l("Cancelled"), "allocated": _l("Allocated"),
    "backordered": _l("Back-ordered"), "split": _l("Split"), "merged": _l("Merged"),
    "address_changed": _l("Address changed"), "sorted": _l("Sorted"),
    # interception and the exceptions desk
    "intercepted": _l("Intercepted"), "put_back": _l("Put back"), "reallocated": _l("Re-allocated"),
    "ship_partial": _l("Ships partial"), "line_cancelled": _l("Line cancelled"),
    "damaged": _l("Damaged unit set aside"), "exception_resolved": _l("Exception resolved"),
}


WAVE_KIND_LABELS = {
    "single": _l("Single-item orders"), "single_sku": _l("Bulk single SKU (爆款)"), "cluster": _l("Cluster picking"),
    "batch_sort": _l("Batch and put wall"), "zone": _l("Zone picking"),
}
WAVE_STATUS_LABELS = {"planned": _l("Planned"), "released": _l("Released"), "picking": _l("Picking"),
                      "picked": _l("Picked"), "cancelled": _l("Cancelled")}
LIST_STATUS_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"), "paused": _l("Paused"),
                      "done": _l("Done"), "cancelled": _l("Cancelled")}


def wave_kind_label(code: str) -> str:
    return str(WAVE_KIND_LABELS.get(code, code))


def wave_status_label(code: str) -> str:
    return str(WAVE_STATUS_LABELS.get(code, code))


def list_status_label(code: str) -> str:
    return str(LIST_STATUS_LABELS.get(code, code))


def hold_reasons(text: str) -> list[str]:
    """The hold reason as labels: audit codes translated, a person's own words kept as written."""
    if not text:
        return []
    if all(part in REASON_LABELS for part in text.split(";")):
        return [str(REASON_LABELS[part]) for part in text.split(";")]
    return [text]


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def platform_label(code: str) -> str:
    return str(PLATFORM_LABELS.get(code, code))
