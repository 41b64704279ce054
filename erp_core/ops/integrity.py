"""The integrity check (数据校验): the ledger's invariants as findings a person can act on.

Each finding names what is wrong, the rows involved (with links) and, where a safe repair exists,
proposals (erp_core/ops/repair.py applies one after a person approved it). The checks are the ledger's
own (erp_core.inventory.integrity, which the test suite runs after every test) plus the ones only this
check makes: every unit shipped to a customer came in (received, found or returned), and the journal.

A proposal's id carries the state it was made from (``action:key:state``): applying re-reads the
finding under lock and refuses when it changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..catalog.models import Sku
from ..extensions import db
from ..inventory.integrity import (
    impossible_quants,
    lot_mismatches,
    orders_holding_reservations,
    reservation_line_violations,
    reserved_discrepancies,
)
from ..inventory.models import Location, Lot, Quant, StockMove, StockReservation
from ..inventory.services import ledger_discrepancies, quant_is
from ..orders.models import OrderLine

FINDING_TEXTS = {
    "quant_vs_moves": _l("%(sku)s in %(location)s (lot %(lot)s): the quant says %(quantity)s, the moves sum to "
                         "%(moves)s"),
    "impossible_quant": _l("%(sku)s in %(location)s (lot %(lot)s): quantity %(quantity)s, reserved %(reserved)s "
                           "(negative, or more reserved than on hand)"),
    "reserved_vs_rows": _l("%(sku)s in %(location)s (lot %(lot)s): %(reserved)s reserved, the reservations sum "
                           "to %(rows)s"),
    "closed_order_reserved": _l("Order %(order)s is %(status)s and still holds %(units)s reserved units"),
    "shipped_not_received": _l("%(sku)s: %(shipped)s units went to customers, only %(received)s came in "
                               "(received, found or returned)"),
    "lot_mismatch": _l("%(table)s row %(row)s: the lot %(lot)s does not fit the lot tracking of %(sku)s"),
    "reservation_lines": _l("Reservations of order lines: %(problem)s"),
    "journal": _l("Journal: %(problem)s"),
}
ACTION_TEXTS = {
    "set_quant": _l("Set the quant to the moves' sum (the ledger is the truth)"),
    "correcting_move": _l("Write a correcting move against inventory loss (the quant is the truth)"),
    "recompute_reserved": _l("Recompute the reserved quantity from the reservation rows"),
    "release": _l("Release the order's reservations"),
}


@dataclass(frozen=True)
class RowLink:
    label: str
    endpoint: str | None = None
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    id: str
    action: str

    @property
    def text(self) -> str:
        return str(ACTION_TEXTS[self.action])


@dataclass(frozen=True)
class Finding:
    kind: str
    details: dict
    rows: tuple[RowLink, ...] = ()
    proposals: tuple[Proposal, ...] = ()

    @property
    def summary(self) -> str:
        return str(FINDING_TEXTS[self.kind]) % self.details


def quant_key(sku_id: int, location_id: int, lot_id: int | None) -> str:
    return f"{sku_id}.{location_id}.{lot_id or 0}"


def parse_quant_key(key: str) -> tuple[int, int, int | None]:
    sku, loc, lot = (int(part) for part in key.split("."))
    return sku, loc, lot or None


class _Names:
    """Codes to show for ids (SKUs, locations with their warehouse, lots), read once per check."""

    def __init__(self) -> None:
        self.skus = dict(db.session.execute(select(Sku.id, Sku.code)).all())
        self.lots = dict(db.session.execute(select(Lot.id, Lot.lot_number)).all())
        self.locations = {loc.id: loc.code if loc.warehouse is None else f"{loc.warehouse.code}/{loc.code}"
                          for loc in db.session.scalars(select(Location))}

    def quant(self, sku_id: int, location_id: int, lot_id: int | None) -> dict:
        return {"sku": self.skus.get(sku_id, sku_id), "location": self.locations.get(location_id, location_id),
                "lot": self.lots.get(lot_id, "–") if lot_id else "–"}

    def sku_link(self, sku_id: int) -> RowLink:
        code = self.skus.get(sku_id)
        return RowLink(f"SKU {code}", "stock.sku", {"code": code}) if code else RowLink(f"SKU {sku_id}")


def run_integrity_check() -> list[Finding]:
    """Every finding, in the order of the checks; [] when the data is sound. Reads only."""
    names = _Names()
    findings = _quant_findings(names) + _reservation_findings(names) + _shipped_not_received(names)
    findings += [Finding("lot_mismatch", {"table": table, "row": row_id, "sku": names.skus.get(sku, sku),
                                          "lot": names.lots.get(lot, "–") if lot else "–"}, (names.sku_link(sku),))
                 for table, row_id, sku, lot in lot_mismatches()]
    findings += [Finding("reservation_lines", {"problem": problem}) for problem in reservation_line_violations()]
    return findings + [Finding("journal", {"problem": problem}, (RowLink(problem, "finance.journal_page"),))
                       for problem in _journal_problems()]


def _quant_findings(names: _Names) -> list[Finding]:
    findings = []
    for sku, loc, lot, quantity, moves in sorted(ledger_discrepancies(), key=lambda d: (d[0], d[1], d[2] or 0)):
        key, state = quant_key(sku, loc, lot), f"{quantity}.{moves}"
        reserved = _reserved_of(sku, loc, lot)
        proposals = []
        if moves >= max(reserved, 0):
            proposals.append(Proposal(f"set_quant:{key}:{state}", "set_quant"))
        if quantity >= 0:
            proposals.append(Proposal(f"correcting_move:{key}:{state}", "correcting_move"))
        findings.append(Finding("quant_vs_moves", {**names.quant(sku, loc, lot), "quantity": quantity,
                                                   "moves": moves}, (names.sku_link(sku),), tuple(proposals)))
    for _, sku, loc, lot, quantity, reserved in impossible_quants():
        findings.append(Finding("impossible_quant", {**names.quant(sku, loc, lot), "quantity": quantity,
                                                     "reserved": reserved}, (names.sku_link(sku),)))
    return findings


def _reserved_of(sku_id: int, location_id: int, lot_id: int | None) -> int:
    return int(db.session.scalar(select(Quant.reserved_quantity).where(quant_is(sku_id, location_id, lot_id))) or 0)


def _reservation_findings(names: _Names) -> list[Finding]:
    findings = []
    for sku, loc, lot, reserved, rows in reserved_discrepancies():
        quantity = db.session.scalar(select(Quant.quantity).where(quant_is(sku, loc, lot))) or 0
        proposals = ((Proposal(f"recompute_reserved:{quant_key(sku, loc, lot)}:{reserved}.{rows}",
                               "recompute_reserved"),) if 0 <= rows <= quantity else ())
        findings.append(Finding("reserved_vs_rows", {**names.quant(sku, loc, lot), "reserved": reserved,
                                                     "rows": rows}, (names.sku_link(sku),), proposals))
    for order_id, status in orders_holding_reservations():
        units = int(db.session.scalar(
            select(func.sum(StockReservation.quantity)).join(OrderLine, OrderLine.id == StockReservation.order_line_id)
            .where(OrderLine.order_id == order_id)) or 0)
        findings.append(Finding("closed_order_reserved", {"order": order_id, "status": status, "units": units},
                                (RowLink(f"#{order_id}", "orders.show", {"order_id": order_id}),),
                                (Proposal(f"release:{order_id}:{status}.{units}", "release"),)))
    return findings


def _shipped_not_received(names: _Names) -> list[Finding]:
    """Per SKU: units moved to customers must not exceed the units that came in from outside the
    warehouses: receipts from suppliers, units found or opening balances (inventory loss), returns."""
    src, dst = aliased(Location), aliased(Location)
    shipped = func.sum(func.coalesce(case((dst.usage == "customer", StockMove.quantity)), 0))
    came_in = func.sum(func.coalesce(case(
        (src.usage.in_(("supplier", "inventory", "customer")) & (dst.usage == "internal"), StockMove.quantity)), 0))
    rows = db.session.execute(
        select(StockMove.sku_id, shipped, came_in).join(src, src.id == StockMove.from_location_id)
        .join(dst, dst.id == StockMove.to_location_id).group_by(StockMove.sku_id).having(shipped > came_in)).all()
    return [Finding("shipped_not_received", {"sku": names.skus.get(sku, sku), "shipped": int(out),
                                             "received": int(got)}, (names.sku_link(sku),))
            for sku, out, got in rows]


def _journal_problems() -> list[str]:
    try:
        from ..finance.journal import journal_violations
    except ImportError:  # a build without the books
        return []
    return journal_violations()
