"""Translated labels of the case's codes (types, statuses, reasons, inspection outcomes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {"refund_only": _l("Refund only (仅退款)"), "return_refund": _l("Return and refund (退货退款)"),
               "exchange": _l("Exchange (换货)"), "resend": _l("Resend missing items (补寄)"),
               "intercept": _l("Intercept before delivery (拦截)")}
CASE_STATUS_LABELS = {"requested": _l("Requested"), "approved": _l("Approved"),
                      "awaiting_return": _l("Awaiting return"), "received": _l("Received"),
                      "inspected": _l("Inspected"), "refunded": _l("Refunded"), "completed": _l("Completed"),
                      "rejected": _l("Rejected"), "cancelled": _l("Cancelled")}
REASON_LABELS = {"quality": _l("Quality problem"), "damaged": _l("Arrived damaged"), "wrong_item": _l("Wrong item"),
                 "not_as_described": _l("Not as described"), "missing_item": _l("Missing item"),
                 "size_fit": _l("Size or fit"), "changed_mind": _l("Changed mind (7 days)"),
                 "not_delivered": _l("Not delivered"), "other": _l("Other")}
OUTCOME_LABELS = {"sellable": _l("Sellable: back to stock"), "damaged": _l("Damaged: to the damaged bin"),
                  "scrap": _l("Scrap")}


def template_labels() -> dict:
    """What the case templates call (registered for every template: the order and customer pages too)."""
    return {"case_kind_label": lambda code: str(KIND_LABELS.get(code, code)),
            "case_status_label": lambda code: str(CASE_STATUS_LABELS.get(code, code)),
            "return_reason_label": lambda code: str(REASON_LABELS.get(code, code)),
            "outcome_label": lambda code: str(OUTCOME_LABELS.get(code, code))}
