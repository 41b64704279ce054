"""After-sales use-cases (售后): open a case from an order (or from a platform), approve, reject,
cancel, refund and complete it. Receiving and inspecting returned units is in `receiving.py`.

Every service is one unit of work. A case is created under the order's row lock, so two cases of one
order never both claim its last returnable unit or its last yuan; a case changes status only by
`set_status` (compare-and-set on `domain.TRANSITIONS`), under its own row lock taken before the
order's (case, then order: the same order everywhere, so two services never deadlock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from ..db import atomic, locked
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..orders.models import Order, OrderLine
from ..orders.services import record_event
from ..orders.states import lock_order
from ..outbox import publish
from ..sequences import next_number
from ..statemachine import compare_and_set
from . import domain
from .models import AfterSalesCase, AfterSalesLine
from .shipped import shipped_by_line


@dataclass(frozen=True)
class NewCaseLine:
    order_line_id: int
    quantity: int
    reason_code: str = "other"
    note: str = ""
    exchange_sku_id: int | None = None


@dataclass(frozen=True)
class NewCase:
    order_id: int
    kind: str
    lines: list[NewCaseLine] = field(default_factory=list)
    refund_amount: Decimal = Decimal("0")
    reason_code: str = "other"
    note: str = ""
    return_tracking_number: str = ""
    channel_id: int | None = None
    platform_case_id: str | None = None


def get_case(case_id: int) -> AfterSalesCase:
    case = db.session.get(AfterSalesCase, case_id)
    if case is None:
        raise NotFound("no such after-sales case", code="unknown_case", case_id=case_id)
    return case


def lock_case(case_id: int) -> AfterSalesCase:
    """The case read afresh under its row lock (SELECT ... FOR UPDATE; SQLite's writer lock)."""
    case = locked(AfterSalesCase, case_id)
    if case is None:
        raise NotFound("no such after-sales case", code="unknown_case", case_id=case_id)
    return case


def set_status(case: AfterSalesCase, to: str, **values: object) -> None:
    """The one way a case changes status: a compare-and-set on its transition table."""
    compare_and_set(case, to, domain.TRANSITIONS, what=f"case {case.number}", code="case_status_conflict",
                    details={"case": case.number}, **values)


# --- limits ----------------------------------------------------------------------------------------

def line_limits(order: Order, kind: str, *, except_case_id: int | None = None) -> dict[int, domain.LineLimit]:
    """Per order line: what a case of `kind` may still claim. Goods (return, exchange, resend): what was
    shipped, less what other live goods cases claim; refund-only and intercept lines: what was ordered."""
    goods = kind in domain.GOODS_KINDS
    allowed = shipped_by_line(order.id) if goods else {
        line.id: line.quantity for line in order.lines if not line.sku.is_kit}
    claimed: dict[int, int] = {}
    if goods:
        stmt = (select(AfterSalesLine.order_line_id, func.sum(AfterSalesLine.quantity))
                .join(AfterSalesCase, AfterSalesCase.id == AfterSalesLine.case_id)
                .where(AfterSalesCase.order_id == order.id, AfterSalesCase.status.not_in(domain.VOID_STATUSES),
                       AfterSalesCase.kind.in_(domain.GOODS_KINDS))
                .group_by(AfterSalesLine.order_line_id))
        if except_case_id is not None:
            stmt = stmt.where(AfterSalesCase.id != except_case_id)
        claimed = {line_id: int(qty) for line_id, qty in db.session.execute(stmt)}
    codes = {line.id: line.sku.code for line in order.lines}
    return {line_id: domain.LineLimit(line_id, codes.get(line_id, str(line_id)), qty, claimed.get(line_id, 0))
            for line_id, qty in allowed.items()}


def paid_for(order: Order) -> Decimal:
    """What the buyer paid: goods and shipping, once the order is paid."""
    return order.total if order.paid_at is not None else Decimal("0")


def refundable_for(order: Order, *, except_case_id: int | None = None) -> Decimal:
    """What may still be refunded: paid, less the refunds other live cases made or promise."""
    stmt = select(func.coalesce(func.sum(AfterSalesCase.refund_amount), 0)).where(
        AfterSalesCase.order_id == order.id, AfterSalesCase.status.not_in(domain.VOID_STATUSES))
    if except_case_id is not None:
        stmt = stmt.where(AfterSalesCase.id != except_case_id)
    return domain.refundable(paid_for(order), Decimal(db.session.scalar(stmt) or 0))


def _check_refund(order: Order, amount: Decimal, *, except_case_id: int | None = None) -> None:
    if amount < 0:
        raise ValidationFailed("a refund cannot be negative", code="bad_refund_amount", amount=str(amount))
    left = refundable_for(order, except_case_id=except_case_id)
    if amount > left:
        raise Conflict(f"a refund of {amount} is more than the {left} still refundable for order "
                       f"{order.external_id}", code="refund_over_paid", amount=str(amount), refundable=str(left),
                       order=order.external_id)


def _check_lines(order: Order, new: NewCase) -> None:
    if new.kind not in domain.KINDS:
        raise ValidationFailed(f"unknown case type {new.kind}", code="unknown_case_kind", kind=new.kind)
    if new.kind in domain.GOODS_KINDS and not new.lines:
        raise ValidationFailed("a return, exchange or resend needs at least one line", code="case_needs_lines")
    own = {line.id for line in order.lines}
    wanted: dict[int, int] = {}
    for line in new.lines:
        if line.order_line_id not in own:
            raise ValidationFailed("this line is not on the order", code="line_not_on_order", order=order.external_id)
        if line.quantity <= 0:
            raise ValidationFailed("quantities must be positive", code="bad_quantity")
        if line.reason_code not in domain.REASON_CODES:
            raise ValidationFailed(f"unknown reason {line.reason_code}", code="unknown_return_reason",
                                   reason=line.reason_code)
        wanted[line.order_line_id] = wanted.get(line.order_line_id, 0) + line.quantity
    over = domain.over_limits(wanted, line_limits(order, new.kind))
    if over:
        first = over[0]
        raise Conflict(f"{first.sku}: {first.wanted} asked, only {first.left} shipped and not claimed yet",
                       code="return_over_shipped", sku=first.sku, wanted=first.wanted, left=first.left,
                       order=order.external_id)


def _number() -> str:
    return f"RT-{next_number('RT'):06d}"


def create_case(new: NewCase, *, user_id: int | None = None) -> AfterSalesCase:
    """Open a case (售后单) on an order, `requested`.

    Locks: the order row, so the limits read under it hold until commit. Guarantees: no line asks for
    more than was shipped less what other live cases claim (return_over_shipped), the refund is at most
    what was paid less other refunds (refund_over_paid); refused, nothing is written. A platform case
    already taken in (same channel and platform case id) is returned as it is (`ingest_platform_case`).
    """
    if new.reason_code not in domain.REASON_CODES:
        raise ValidationFailed(f"unknown reason {new.reason_code}", code="unknown_return_reason",
                               reason=new.reason_code)
    with atomic():
        order = lock_order(new.order_id)
        if new.platform_case_id:
            existing = platform_case(new.channel_id, new.platform_case_id)
            if existing is not None:
                return existing
        _check_lines(order, new)
        _check_refund(order, Decimal(new.refund_amount))
        case = AfterSalesCase(number=_number(), kind=new.kind, status="requested", order_id=order.id,
                              customer_id=order.customer_id, warehouse_id=order.warehouse_id,
                              channel_id=new.channel_id or order.channel_id, platform_case_id=new.platform_case_id,
                              reason_code=new.reason_code, note=new.note[:500], refund_amount=new.refund_amount,
                              currency=order.currency, return_tracking_number=new.return_tracking_number.strip()[:40],
                              created_by_id=user_id)
        skus = {line.id: line.sku_id for line in order.lines}
        for line in new.lines:
            case.lines.append(AfterSalesLine(order_line_id=line.order_line_id, sku_id=skus[line.order_line_id],
                                             exchange_sku_id=line.exchange_sku_id, quantity=line.quantity,
                                             reason_code=line.reason_code, note=line.note[:255]))
        db.session.add(case)
        db.session.flush()
        record_event(order, "aftersales", f"{case.number}: {case.kind} opened", user_id)
    return case


def platform_case(channel_id: int | None, platform_case_id: str) -> AfterSalesCase | None:
    return db.session.scalar(select(AfterSalesCase).filter_by(channel_id=channel_id,
                                                              platform_case_id=platform_case_id))


def ingest_platform_case(channel_id: int, payload: dict, *, user_id: int | None = None) -> tuple[AfterSalesCase, bool]:
    """A case a platform adapter pulled or pushed: (the case, whether it was new).

    Idempotent on (channel, platform case id): the same case taken in again returns the first one
    and changes nothing. The payload names the order by its platform order id (`order_external_id`)
    and its lines by SKU code (`lines`: [{sku, quantity, reason}]).
    """
    case_id = str(payload.get("platform_case_id") or "").strip()[:64]
    if not case_id:
        raise ValidationFailed("the platform's case id is missing", code="platform_case_id_required")
    existing = platform_case(channel_id, case_id)
    if existing is not None:
        return existing, False
    order = db.session.scalar(select(Order).filter_by(channel_id=channel_id,
                                                      external_id=str(payload.get("order_external_id", ""))))
    if order is None:
        raise NotFound("no such order in this channel", code="unknown_order",
                       order_id=payload.get("order_external_id"))
    lines = [NewCaseLine(line_id, qty, item.get("reason") or "other", item.get("note") or "")
             for item in payload.get("lines") or []
             for line_id, qty in _lines_of_sku(order, str(item.get("sku", "")), int(item.get("quantity") or 0))]
    case = create_case(NewCase(order_id=order.id, kind=payload.get("kind", "return_refund"), lines=lines,
                               refund_amount=Decimal(str(payload.get("refund_amount") or "0")),
                               reason_code=payload.get("reason") or "other", note=payload.get("note") or "",
                               return_tracking_number=payload.get("return_tracking_number") or "",
                               channel_id=channel_id, platform_case_id=case_id), user_id=user_id)
    return case, True


def _lines_of_sku(order: Order, sku_code: str, quantity: int) -> list[tuple[int, int]]:
    """The quantity of a SKU spread over the order's lines of it (in line order, up to each line's units)."""
    lines = [line for line in order.lines if line.sku.code == sku_code and not line.sku.is_kit]
    if not lines:
        raise ValidationFailed(f"{sku_code} is not on order {order.external_id}", code="sku_not_on_order",
                               sku=sku_code, order=order.external_id)
    spread, left = [], quantity
    for line in lines:
        take = min(left, line.quantity) if line is not lines[-1] else left
        if take > 0:
            spread.append((line.id, take))
            left -= take
    return spread


# --- the office's decisions ------------------------------------------------------------------------

def approve_case(case_id: int, *, user_id: int | None = None) -> AfterSalesCase:
    """Approve a requested case: goods coming back wait for them (`awaiting_return`); an intercept
    stops the order through erp_core.orders.intercept (refused with it, nothing changed, when the
    order can no longer be intercepted: then it is a return). Locks: the case, then the order (for
    an intercept, the floor's rows of the order first, as `intercept_order` takes them)."""
    with atomic():
        case = lock_case(case_id)
        set_status(case, "approved")
        if case.kind == "intercept":  # it takes the floor's locks before the order's, as the floor does
            from ..orders.intercept import intercept_order

            order = intercept_order(case.order_id, f"after-sales case {case.number}", user_id=user_id)
        else:
            order = lock_order(case.order_id)
        after = domain.status_after_approval(case.kind)
        if after != "approved":
            set_status(case, after)
        record_event(order, "aftersales", f"{case.number}: approved", user_id)
    return case


def reject_case(case_id: int, reason: str, *, user_id: int | None = None) -> AfterSalesCase:
    with atomic():
        case = lock_case(case_id)
        set_status(case, "rejected")
        case.note = f"{case.note} | rejected: {reason}"[-500:] if case.note else f"rejected: {reason}"[:500]
        record_event(lock_order(case.order_id), "aftersales", f"{case.number}: rejected {reason}", user_id)
    return case


def cancel_case(case_id: int, *, user_id: int | None = None) -> AfterSalesCase:
    """Cancel a case nothing was received on yet (units received must be inspected instead)."""
    with atomic():
        case = lock_case(case_id)
        if any(line.received_quantity for line in case.lines):
            raise Conflict(f"case {case.number} has units received: inspect them instead", code="case_has_receipts",
                           case=case.number)
        set_status(case, "cancelled")
        record_event(lock_order(case.order_id), "aftersales", f"{case.number}: cancelled", user_id)
    return case


def finish_receiving(case_id: int, *, user_id: int | None = None) -> AfterSalesCase:
    """The buyer sent back fewer units than the case says: receiving ends with what came (at least one)."""
    with atomic():
        case = lock_case(case_id)
        if not any(line.received_quantity for line in case.lines):
            raise Conflict(f"nothing was received on case {case.number}", code="case_nothing_received",
                           case=case.number)
        set_status(case, "received")
        if all(line.to_inspect == 0 for line in case.lines):
            set_status(case, "inspected")
    return case


def _intercept_done(case: AfterSalesCase, order: Order) -> None:
    if case.kind == "intercept" and order.status != "cancelled":
        raise Conflict(f"order {order.external_id} is {order.status}: its units are not all put back yet",
                       code="intercept_not_done", order=order.external_id, case=case.number)


def refund_case(case_id: int, amount: Decimal | None = None, *, user_id: int | None = None) -> AfterSalesCase:
    """Refund the case (退款): the amount (the case's own unless given) is at most what was paid for
    the order less every other refund; `finance.refund` is published in the same transaction.

    Locks: the case, then the order (two refunds of one order are serialised on it)."""
    with atomic():
        case = lock_case(case_id)
        if not domain.may_refund(case.kind, case.status):
            raise Conflict(f"case {case.number} ({case.kind}, {case.status}) cannot be refunded now",
                           code="case_not_refundable", case=case.number, current=case.status)
        order = lock_order(case.order_id)
        _intercept_done(case, order)
        amount = Decimal(case.refund_amount if amount is None else amount).quantize(Decimal("0.01"))
        _check_refund(order, amount, except_case_id=case.id)
        set_status(case, "refunded", refund_amount=amount, refunded_at=utcnow())
        record_event(order, "aftersales", f"{case.number}: refunded {amount} {case.currency}", user_id)
        publish("finance.refund", {
            "key": f"refund:{case.number}", "case": case.number, "case_id": case.id, "kind": case.kind,
            "order_id": order.id, "order_number": order.external_id, "channel_id": order.channel_id,
            "platform_case_id": case.platform_case_id, "amount": str(amount), "currency": case.currency},
            key=f"refund:{case.number}")
    return case


def complete_case(case_id: int, *, user_id: int | None = None) -> AfterSalesCase:
    """Close an exchange (inspected) or a resend (approved) with the new order it sends, through the
    order intake like any order (it goes to audit); an intercept once its order is cancelled."""
    with atomic():
        case = lock_case(case_id)
        if not domain.may_complete(case.kind, case.status):
            raise Conflict(f"case {case.number} ({case.kind}, {case.status}) cannot be completed now",
                           code="case_not_completable", case=case.number, current=case.status)
        order = lock_order(case.order_id)
        _intercept_done(case, order)
        new_order_id = None
        if case.kind in domain.NEW_ORDER_KINDS:
            new_order_id = _new_order(case, order, user_id).id
        set_status(case, "completed", new_order_id=new_order_id)
        record_event(order, "aftersales", f"{case.number}: completed", user_id)
    return case


def _new_order(case: AfterSalesCase, order: Order, user_id: int | None) -> Order:
    from ..catalog.models import Sku
    from ..orders.services import NewOrder, NewOrderLine, create_order

    wanted = {line.exchange_sku_id or line.sku_id for line in case.lines}
    codes = dict(db.session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(wanted))).all())
    lines = [NewOrderLine(codes[line.exchange_sku_id or line.sku_id], line.quantity) for line in case.lines]
    what = "exchange" if case.kind == "exchange" else "resend"
    new = create_order(NewOrder(
        channel_code=order.channel.code, external_id=f"{case.number}-{'EX' if what == 'exchange' else 'RS'}",
        lines=lines, ship_name=order.ship_name, ship_phone=order.ship_phone, ship_country=order.ship_country,
        ship_province=order.ship_province, ship_city=order.ship_city, ship_district=order.ship_district,
        ship_address=order.ship_address, ship_postcode=order.ship_postcode, buyer_id=order.buyer_id or None,
        seller_note=f"{what} for order {order.external_id} (case {case.number})", currency=order.currency,
        paid_at=utcnow()), user_id=user_id)
    if new.customer_id != order.customer_id and order.customer_id is not None:
        new.customer_id = order.customer_id
    return new


def set_return_tracking(case_id: int, number: str, *, user_id: int | None = None) -> AfterSalesCase:
    """The tracking number of the parcel the buyer sends back (the station finds the case by it)."""
    with atomic():
        case = lock_case(case_id)
        if case.status in domain.FINAL_STATUSES:
            raise Conflict(f"case {case.number} is {case.status}", code="case_closed", case=case.number,
                           current=case.status)
        case.return_tracking_number = number.strip()[:40]
    return case


# --- reading ---------------------------------------------------------------------------------------

def cases_for_customer(customer_id: int, *, limit: int = 50) -> list[AfterSalesCase]:
    """The customer's after-sales history, newest first (the customer page includes
    templates/aftersales/_customer_cases.html with `cases`)."""
    return list(db.session.scalars(select(AfterSalesCase).filter_by(customer_id=customer_id)
                                   .order_by(AfterSalesCase.id.desc()).limit(limit)))


def cases_for_order(order_id: int) -> list[AfterSalesCase]:
    return list(db.session.scalars(select(AfterSalesCase).where(
        (AfterSalesCase.order_id == order_id) | (AfterSalesCase.new_order_id == order_id))
        .order_by(AfterSalesCase.id)))


def returnable_lines(order: Order, kind: str = "return_refund") -> list[tuple[OrderLine, int]]:
    """The order's lines and what a new case of `kind` may still claim of each."""
    limits = line_limits(order, kind)
    return [(line, limits[line.id].left) for line in order.lines if line.id in limits]
