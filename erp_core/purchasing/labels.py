"""What the screens (and the refusals) call each status of a purchase order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PO_STATUS_LABELS = {
    "draft": _l("Draft"), "sent": _l("Sent"), "confirmed": _l("Confirmed"),
    "partially_received": _l("Partially received"), "received": _l("Received"), "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}


def po_status_label(status: str) -> str:
    return str(PO_STATUS_LABELS.get(status, status))
