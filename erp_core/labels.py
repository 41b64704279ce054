"""Translated labels of the codes stored in the database (roles, statuses, platforms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"), "supervisor": _l("Supervisor"), "picker": _l("Picker"),
    "packer": _l("Packer"), "shipping": _l("Shipping desk"), "purchaser": _l("Purchaser"),
    "finance": _l("Finance"), "viewer": _l("Viewer"),
}
STATUS_LABELS = {
    "pending": _l("Pending audit"), "held": _l("Held"), "approved": _l("Approved"),
    "backordered": _l("Back-ordered"), "released": _l("Released"), "picking": _l("Picking"),
    "picked": _l("Picked"), "packed": _l("Packed"), "shipped": _l("Shipped"), "cancelled": _l("Cancelled"),
    "rejected": _l("Rejected"),
}
PLATFORM_LABELS = {
    "taobao": _l("Taobao"), "tmall": _l("Tmall"), "jd": _l("JD.com"), "pinduoduo": _l("Pinduoduo"),
    "shopify": _l("Shopify"), "manual": _l("Manual"), "api": _l("API"),
}


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def platform_label(code: str) -> str:
    return str(PLATFORM_LABELS.get(code, code))
