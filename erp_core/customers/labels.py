"""Translated labels of the customer codes shown on screens (segments, feedback kinds, duplicate reasons)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SEGMENT_LABELS = {
    "champions": _l("Champions"), "loyal": _l("Loyal"), "new": _l("New customers"),
    "promising": _l("Promising"), "need_attention": _l("Need attention"), "at_risk": _l("At risk"),
    "hibernating": _l("Hibernating"),
}
SEGMENT_HINTS = {
    "champions": _l("Bought recently, often and a lot."),
    "loyal": _l("Buy often; bought not long ago."),
    "new": _l("First order recently."),
    "promising": _l("Bought recently, not often yet."),
    "need_attention": _l("Last order a while ago."),
    "at_risk": _l("Used to buy often; not for a long time."),
    "hibernating": _l("Few orders, long ago."),
}
FEEDBACK_KIND_LABELS = {"feedback": _l("Feedback"), "complaint": _l("Complaint")}
FEEDBACK_STATUS_LABELS = {"open": _l("Open"), "resolved": _l("Resolved")}
DUPLICATE_REASONS = {"phone": _l("Same phone"), "name_address": _l("Same name and address")}


def segment_label(code: str) -> str:
    return str(SEGMENT_LABELS.get(code, code))


def feedback_kind_label(code: str) -> str:
    return str(FEEDBACK_KIND_LABELS.get(code, code))
