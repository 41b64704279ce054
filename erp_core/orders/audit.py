"""Order audit (审核): decide whether a pending order is approved, held for a person, or rejected.

Pure rules over plain data. Three gates always apply, because auto-approval means "safe to ship
without a person looking": the order must be paid and not cancelled, its address complete, and its
stock available. On top of them, configurable hold rules (notes, amount, blacklist, suspected
duplicate, address problems) each add a ``Reason``. Rules only ever add reasons, so enabling a rule
can never turn a held order into an approved one.

Outcome: ``rejected`` when any reason rejects (an unpaid cancelled order, a blacklisted buyer with
``action="reject"``), else ``held`` when there is any reason, else ``approved``. Reasons come out in a
fixed order: rejecting reasons first, then in the order of ``REASON_ORDER``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from erp_core.orders.audit_rules import (
    AddressRule,
    AmountRule,
    AutoApproveRule,
    BlacklistRule,
    DuplicateRule,
    NoteRule,
    RuleSettings,
)
from erp_core.orders.regions import is_mainland_china

__all__ = [
    "AddressRule", "AmountRule", "AuditContext", "AuditDecision", "AuditLine", "AuditOrder",
    "AutoApproveRule", "BlacklistRule", "DuplicateRule", "NoteRule", "Reason", "RuleSettings", "evaluate",
]

Outcome = Literal["approved", "held", "rejected"]
APPROVED: Outcome = "approved"
HELD: Outcome = "held"
REJECTED: Outcome = "rejected"

#: Every reason code, in the order reasons are listed; with its English message template.
MESSAGES: dict[str, str] = {
    "cancelled_unpaid": "The order was cancelled before payment.",
    "blacklisted": "The buyer is on the blacklist ({matched}).",
    "cancelled_after_payment": "The order was cancelled after payment; a refund may be due.",
    "unpaid": "The order is not paid yet.",
    "no_lines": "The order has no lines.",
    "address_incomplete": "The shipping address is incomplete (missing: {missing}).",
    "out_of_stock": "Not enough stock for: {skus}.",
    "auto_approve_off": "Auto-approval is switched off; every order needs a person.",
    "buyer_note": "The buyer left a note: {note}",
    "seller_note": "The order has a seller note: {note}",
    "amount_above_threshold": "The total {total} {currency} is above the review threshold {threshold}.",
    "suspected_duplicate": "Same buyer and address as open order(s) {orders} within {hours} hours.",
    "po_box": "The address is a PO box, which couriers do not deliver to.",
    "address_too_short": "The street address is shorter than {minimum} characters.",
    "bad_mobile": "The phone {phone} is not a valid mainland-China mobile number.",
}
REASON_ORDER: dict[str, int] = {code: index for index, code in enumerate(MESSAGES)}

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE_RE = re.compile(r"[\s\-().]+")
_ADDRESS_NOISE_RE = re.compile(r"[\s,.;:#\-，。；：、（）()]+")
_PO_BOX_RE = re.compile(
    r"\bp\.?\s*o\.?\s*box\b|\bpost\s+office\s+box\b|\bpo\s*b\s*\d|邮政信箱|\d+\s*信箱", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One order line as audit sees it."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class AuditOrder:
    """The facts audit needs about one order.

    ``stock_available`` is either the caller's verdict (``True``/``False``) or the available
    quantity per SKU, which audit compares with the order's lines.
    """

    order_id: str
    channel: str = ""
    paid: bool = False
    cancelled: bool = False
    total: Decimal = Decimal("0")
    currency: str = "CNY"
    buyer_id: str = ""
    name: str = ""
    phone: str = ""
    country: str = "CN"
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    postcode: str = ""
    buyer_note: str = ""
    seller_note: str = ""
    lines: tuple[AuditLine, ...] = ()
    created_at: datetime | None = None
    stock_available: bool | Mapping[str, int] = True


@dataclass(frozen=True)
class AuditContext:
    """What audit may compare an order with: the other open orders (for duplicate detection)."""

    open_orders: Sequence[AuditOrder] = ()


@dataclass(frozen=True)
class Reason:
    """Why an order is held or rejected: a stable ``code``, an English message and its parameters."""

    code: str
    message_en: str
    params: Mapping[str, str] = field(default_factory=dict)
    rejects: bool = False


@dataclass(frozen=True)
class AuditDecision:
    """The outcome of audit and every reason behind it (empty when approved)."""

    outcome: Outcome
    reasons: list[Reason]

    @property
    def codes(self) -> list[str]:
        """The reason codes, in order."""
        return [reason.code for reason in self.reasons]


def evaluate(order: AuditOrder, settings: RuleSettings | None = None,
             context: AuditContext | None = None) -> AuditDecision:
    """Audit one order under ``settings`` (defaults: every rule on) against ``context``."""
    settings = settings or RuleSettings()
    context = context or AuditContext()
    reasons: list[Reason] = []
    _gates(order, reasons)
    if not settings.auto_approve.enabled:
        reasons.append(_reason("auto_approve_off"))
    _notes(order, settings.buyer_note, settings.seller_note, reasons)
    _amount(order, settings.amount, reasons)
    _blacklist(order, settings.blacklist, reasons)
    _duplicate(order, settings.duplicate, context, reasons)
    _address(order, settings.address, reasons)
    reasons.sort(key=lambda r: (not r.rejects, REASON_ORDER[r.code]))
    if any(reason.rejects for reason in reasons):
        return AuditDecision(REJECTED, reasons)
    return AuditDecision(HELD if reasons else APPROVED, reasons)


def _reason(code: str, *, rejects: bool = False, **params: str) -> Reason:
    return Reason(code, MESSAGES[code].format(**params), params, rejects)


def _gates(order: AuditOrder, reasons: list[Reason]) -> None:
    if order.cancelled:
        reasons.append(_reason("cancelled_after_payment") if order.paid
                       else _reason("cancelled_unpaid", rejects=True))
    elif not order.paid:
        reasons.append(_reason("unpaid"))
    if not order.lines:
        reasons.append(_reason("no_lines"))
    missing = missing_address_parts(order)
    if missing:
        reasons.append(_reason("address_incomplete", missing=", ".join(missing)))
    short = short_skus(order)
    if short:
        reasons.append(_reason("out_of_stock", skus=", ".join(short)))


def missing_address_parts(order: AuditOrder) -> list[str]:
    """The parts of the shipping address a courier needs and the order lacks."""
    needed = ["name", "address"]
    if is_mainland_china(order.country):
        needed = ["name", "phone", "province", "city", "address"]
    return [part for part in needed if not getattr(order, part).strip()]


def short_skus(order: AuditOrder) -> list[str]:
    """SKUs the order needs more of than is available (sorted); all of them when stock is ``False``."""
    wanted: dict[str, int] = {}
    for line in order.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    available = order.stock_available
    if isinstance(available, bool):
        return [] if available else sorted(wanted)
    return sorted(sku for sku, quantity in wanted.items() if available.get(sku, 0) < quantity)


def _notes(order: AuditOrder, buyer: NoteRule, seller: NoteRule, reasons: list[Reason]) -> None:
    if buyer.enabled and order.buyer_note.strip():
        reasons.append(_reason("buyer_note", note=order.buyer_note.strip()))
    if seller.enabled and order.seller_note.strip():
        reasons.append(_reason("seller_note", note=order.seller_note.strip()))


def _amount(order: AuditOrder, rule: AmountRule, reasons: list[Reason]) -> None:
    if rule.enabled and order.total > rule.threshold:
        reasons.append(_reason("amount_above_threshold", total=str(order.total),
                               currency=order.currency, threshold=str(rule.threshold)))


def _blacklist(order: AuditOrder, rule: BlacklistRule, reasons: list[Reason]) -> None:
    if not rule.enabled:
        return
    matched = []
    if order.buyer_id and order.buyer_id in rule.buyer_ids:
        matched.append("buyer id")
    phones = {normalise_phone(phone) for phone in rule.phones}
    if order.phone and normalise_phone(order.phone) in phones:
        matched.append("phone")
    if matched:
        reasons.append(_reason("blacklisted", rejects=rule.action == "reject", matched=", ".join(matched)))


def _duplicate(order: AuditOrder, rule: DuplicateRule, context: AuditContext,
               reasons: list[Reason]) -> None:
    if not rule.enabled or order.created_at is None:
        return
    window = timedelta(hours=rule.window_hours)
    place = address_key(order)
    phone = normalise_phone(order.phone)
    twins = sorted(
        other.order_id for other in context.open_orders
        if other.order_id != order.order_id and not other.cancelled and other.created_at is not None
        and abs(other.created_at - order.created_at) <= window
        and ((order.buyer_id and other.buyer_id == order.buyer_id)
             or (phone and normalise_phone(other.phone) == phone))
        and address_key(other) == place
    )
    if twins:
        reasons.append(_reason("suspected_duplicate", orders=", ".join(twins), hours=str(rule.window_hours)))


def _address(order: AuditOrder, rule: AddressRule, reasons: list[Reason]) -> None:
    if not rule.enabled:
        return
    detail = order.address.strip()
    if rule.check_po_box and _PO_BOX_RE.search(detail):
        reasons.append(_reason("po_box"))
    if detail and len(_ADDRESS_NOISE_RE.sub("", detail)) < rule.min_detail_length:
        reasons.append(_reason("address_too_short", minimum=str(rule.min_detail_length)))
    if (rule.check_mobile and order.phone.strip() and is_mainland_china(order.country)
            and not is_mainland_mobile(order.phone)):
        reasons.append(_reason("bad_mobile", phone=order.phone.strip()))


def normalise_phone(phone: str) -> str:
    """Digits of a phone without separators or the China country code (``+86 138-0013-8000``)."""
    digits = _PHONE_NOISE_RE.sub("", phone)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix):]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def is_mainland_mobile(phone: str) -> bool:
    """Whether ``phone`` is a mainland-China mobile number: 11 digits, ``1[3-9]`` then 9 digits."""
    return _MOBILE_RE.fullmatch(normalise_phone(phone)) is not None


def address_key(order: AuditOrder) -> str:
    """The address without spaces and punctuation, lower case: equal for the same place typed twice."""
    text = "".join((order.province, order.city, order.district, order.address))
    return _ADDRESS_NOISE_RE.sub("", text).lower()


def with_rule(settings: RuleSettings, name: str, enabled: bool) -> RuleSettings:
    """A copy of ``settings`` with the rule ``name`` switched on or off."""
    return replace(settings, **{name: replace(getattr(settings, name), enabled=enabled)})
