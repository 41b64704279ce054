"""Customer use-cases: tags, notes, feedback and complaints, the blacklist, and the office's tier and RFM
settings. Each is one unit of work; changes to a customer take the customer's row lock first, so two
desks editing one customer are applied one after the other."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import delete, select

from ..db import atomic, locked
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order
from ..settings import get_setting, put_setting
from ..statemachine import compare_and_set
from .domain import RfmSettings, TierRules
from .models import FEEDBACK_KINDS, FEEDBACK_TRANSITIONS, Customer, CustomerFeedback, CustomerNote, CustomerTag

TAG_MAX = 40
TEXT_MAX = 2000
REASON_MAX = 255
TIERS_KEY = "customers.tiers"
RFM_KEY = "customers.rfm"


def get_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", code="unknown_customer", customer_id=customer_id)
    return customer


def lock_customer(customer_id: int, *, editable: bool = True) -> Customer:
    """The customer under its row lock; refused when it is merged into another (edit the survivor)."""
    customer = locked(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer", code="unknown_customer", customer_id=customer_id)
    if editable and customer.merged_into_id is not None:
        raise Conflict(f"customer #{customer.id} is merged into #{customer.merged_into_id}; change that one",
                       code="customer_merged", customer=customer.id, survivor=customer.merged_into_id)
    return customer


def _touch(customer: Customer) -> None:
    customer.updated_at = utcnow()


def clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").split())
    if not tag or len(tag) > TAG_MAX:
        raise ValidationFailed(f"a tag is 1 to {TAG_MAX} characters", code="bad_customer_tag", tag=tag[:60],
                               max=TAG_MAX)
    return tag


def set_tags(customer_id: int, tags: Iterable[str]) -> Customer:
    """Replace the customer's tags with `tags` (duplicates and surrounding spaces ignored)."""
    wanted = {clean_tag(t) for t in tags}
    return _change_tags(customer_id, lambda _have: wanted)


def add_tag(customer_id: int, tag: str) -> Customer:
    tag = clean_tag(tag)
    return _change_tags(customer_id, lambda have: have | {tag})


def remove_tag(customer_id: int, tag: str) -> Customer:
    return _change_tags(customer_id, lambda have: have - {tag})


def _change_tags(customer_id: int, change: Callable[[set[str]], set[str]]) -> Customer:
    """Apply `change` to the tags read under the customer's lock (two desks adding tags keep both)."""
    with atomic():
        customer = lock_customer(customer_id)
        have = {t.tag: t for t in db.session.scalars(select(CustomerTag).filter_by(customer_id=customer.id))}
        wanted = change(set(have))
        gone = [have[t].id for t in have.keys() - wanted]
        if gone:
            db.session.execute(delete(CustomerTag).where(CustomerTag.id.in_(gone)))
        db.session.add_all(CustomerTag(customer_id=customer.id, tag=t) for t in sorted(wanted - have.keys()))
        _touch(customer)
        db.session.flush()
    db.session.expire(customer, ["tags"])
    return customer


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > TEXT_MAX:
        raise ValidationFailed(f"{what} is 1 to {TEXT_MAX} characters", code="bad_customer_text", max=TEXT_MAX)
    return text


def add_note(customer_id: int, text: str, *, user_id: int | None) -> CustomerNote:
    text = _text(text, "a note")
    with atomic():
        customer = lock_customer(customer_id)
        note = CustomerNote(customer_id=customer.id, text=text, user_id=user_id)
        db.session.add(note)
        _touch(customer)
        db.session.flush()
    return note


def add_feedback(customer_id: int, kind: str, text: str, *, order_id: int | None = None,
                 user_id: int | None) -> CustomerFeedback:
    """Record feedback or a complaint; an order it names must be one of the customer's."""
    if kind not in FEEDBACK_KINDS:
        raise ValidationFailed(f"unknown kind {kind}", code="bad_feedback_kind", kind=kind[:20])
    text = _text(text, "the text")
    with atomic():
        customer = lock_customer(customer_id)
        if order_id is not None:
            owner = db.session.scalar(select(Order.customer_id).where(Order.id == order_id))
            if owner != customer.id:
                raise ValidationFailed(f"order #{order_id} is not one of this customer's orders",
                                       code="feedback_order_not_customers", order_id=order_id)
        record = CustomerFeedback(customer_id=customer.id, kind=kind, text=text, order_id=order_id,
                                  created_by_id=user_id)
        db.session.add(record)
        _touch(customer)
        db.session.flush()
    return record


def set_feedback_status(feedback_id: int, status: str, *, user_id: int | None) -> CustomerFeedback:
    """Resolve (or reopen) a feedback record; resolving a resolved one is a no-op (compare-and-set)."""
    with atomic():
        record = db.session.get(CustomerFeedback, feedback_id)
        if record is None:
            raise NotFound("no such feedback record", code="unknown_feedback", feedback_id=feedback_id)
        if record.status == status:
            return record
        resolved = {"resolved_by_id": user_id, "resolved_at": utcnow()} if status == "resolved" else {}
        compare_and_set(record, status, FEEDBACK_TRANSITIONS, what=f"feedback #{record.id}",
                        code="feedback_status_conflict", **resolved)
    return record


def set_blacklist(customer_id: int, blacklisted: bool, reason: str = "") -> Customer:
    """Flag (with a reason) or clear the customer's blacklist; the audit holds or rejects their orders."""
    reason = (reason or "").strip()
    if blacklisted and not reason:
        raise ValidationFailed("blacklisting needs a reason", code="blacklist_reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"a reason is at most {REASON_MAX} characters", code="bad_customer_text",
                               max=REASON_MAX)
    with atomic():
        customer = lock_customer(customer_id)
        customer.blacklisted = blacklisted
        customer.blacklist_reason = reason if blacklisted else ""
        _touch(customer)
    return customer


def tier_rules() -> TierRules:
    try:
        return TierRules.from_dict(get_setting(TIERS_KEY))
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return TierRules()


def rfm_settings() -> RfmSettings:
    try:
        return RfmSettings.from_dict(get_setting(RFM_KEY))
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return RfmSettings()


def save_tier_rules(data: list[dict], *, user_id: int | None) -> TierRules:
    try:
        rules = TierRules.from_dict(data)
    except (ValueError, KeyError, TypeError, ArithmeticError) as error:
        raise ValidationFailed(str(error), code="bad_customer_settings", detail=str(error)) from error
    put_setting(TIERS_KEY, rules.to_dict(), user_id=user_id)
    return rules


def save_rfm_settings(data: dict, *, user_id: int | None) -> RfmSettings:
    try:
        settings = RfmSettings.from_dict(data)
    except (ValueError, KeyError, TypeError, ArithmeticError) as error:
        raise ValidationFailed(str(error), code="bad_customer_settings", detail=str(error)) from error
    put_setting(RFM_KEY, settings.to_dict(), user_id=user_id)
    return settings


def save_settings(rfm: dict, tiers: list[dict], *, user_id: int | None) -> tuple[RfmSettings, TierRules]:
    """Both settings, or neither when one of them is refused."""
    with atomic():
        return save_rfm_settings(rfm, user_id=user_id), save_tier_rules(tiers, user_id=user_id)
