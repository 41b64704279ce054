"""Repairs the integrity check proposes, applied one at a time after a person approved each.

`apply_proposal` runs in one unit of work: it locks the rows involved (the quant; the order), reads the
finding afresh under the lock and refuses (409 `finding_changed`) when the state the proposal was made
from is no longer there: someone moved stock, another repair ran, the finding is gone. Only then does
it write:

- set_quant           the quant's quantity := the moves' sum (the ledger is the truth);
- correcting_move     one ledger move between inventory loss and the location for the difference, with
                      a note, so the moves sum to the quant again (the quant is the truth; the quant and
                      the books' valuation do not change, so finance is not told);
- recompute_reserved  the quant's reserved quantity := the sum of its reservation rows;
- release             the order's reservations given back through the reservation API.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from ..audit.log import record
from ..db import atomic
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..inventory.models import Location, Quant, StockMove, StockReservation
from ..inventory.reservations import release_lines
from ..inventory.services import quant_is, virtual_location
from ..orders.models import OrderLine
from ..orders.states import RESERVING_STATUSES, lock_order
from .integrity import parse_quant_key

log = logging.getLogger(__name__)
ACTIONS = ("set_quant", "correcting_move", "recompute_reserved", "release")


def apply_proposal(proposal_id: str, *, user_id: int | None = None) -> str:
    """Apply one approved proposal; returns what was done (English, for the log and the CLI)."""
    try:
        action, key, state = proposal_id.split(":")
    except ValueError:
        action = key = state = ""
    if action not in ACTIONS:
        raise ValidationFailed(f"{proposal_id!r} is not a repair proposal", code="unknown_proposal",
                               proposal=proposal_id)
    with atomic():
        done = _release(int(key), state) if action == "release" else _quant_repair(action, key, state)
        record("integrity.repair", "integrity_finding", key, after={"proposal": proposal_id, "done": done},
               summary=done, user_id=user_id)
        log.info("integrity repair %s applied by user %s: %s", proposal_id, user_id, done)
    return done


def _changed(proposal: str) -> Conflict:
    return Conflict("the finding changed since the proposal was made: run the check again",
                    code="finding_changed", proposal=proposal)


def _moves_sum(sku_id: int, location_id: int, lot_id: int | None) -> int:
    def flow(column):
        return (select(func.coalesce(func.sum(StockMove.quantity), 0))
                .where(StockMove.sku_id == sku_id, column == location_id, _lot(lot_id)).scalar_subquery())

    return int(db.session.scalar(select(flow(StockMove.to_location_id) - flow(StockMove.from_location_id))))


def _lot(lot_id: int | None):
    return StockMove.lot_id.is_(None) if lot_id is None else StockMove.lot_id == lot_id


def _quant_repair(action: str, key: str, state: str) -> str:
    sku_id, location_id, lot_id = parse_quant_key(key)
    proposal = f"{action}:{key}:{state}"
    quant = db.session.scalar(select(Quant).where(quant_is(sku_id, location_id, lot_id)).with_for_update()
                              .execution_options(populate_existing=True))
    quantity, reserved = (quant.quantity, quant.reserved_quantity) if quant else (0, 0)
    if action == "recompute_reserved":
        rows = int(db.session.scalar(select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
            StockReservation.sku_id == sku_id, StockReservation.location_id == location_id,
            StockReservation.lot_id.is_(None) if lot_id is None else StockReservation.lot_id == lot_id)))
        if state != f"{reserved}.{rows}" or quant is None or rows > quantity:
            raise _changed(proposal)
        db.session.execute(update(Quant).where(Quant.id == quant.id).values(reserved_quantity=rows))
        return f"reserved of quant {quant.id} set from {reserved} to {rows}"
    moves = _moves_sum(sku_id, location_id, lot_id)
    if state != f"{quantity}.{moves}" or quantity == moves:
        raise _changed(proposal)
    if action == "set_quant":
        if moves < max(reserved, 0):
            raise _changed(proposal)
        if quant is None:
            db.session.add(Quant(sku_id=sku_id, location_id=location_id, lot_id=lot_id, quantity=moves,
                                 reserved_quantity=0))
        else:
            db.session.execute(update(Quant).where(Quant.id == quant.id).values(quantity=moves))
        return f"quant sku={sku_id} location={location_id} lot={lot_id}: quantity {quantity} -> {moves}"
    location = db.session.get(Location, location_id)
    loss = virtual_location("INV-LOSS")
    into = quantity > moves
    move = StockMove(sku_id=sku_id, lot_id=lot_id, quantity=abs(quantity - moves), reason="adjustment",
                     from_location_id=loss.id if into else location.id, to_location_id=location.id if into else loss.id,
                     note=f"integrity repair: the moves summed to {moves}, the quant holds {quantity}")
    db.session.add(move)
    db.session.flush()
    return f"correcting move {move.id}: {move.quantity} units {'into' if into else 'out of'} {location.code}"


def _release(order_id: int, state: str) -> str:
    order = lock_order(order_id)
    line_ids = list(db.session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)))
    units = int(db.session.scalar(select(func.coalesce(func.sum(StockReservation.quantity), 0))
                                  .where(StockReservation.order_line_id.in_(line_ids))) or 0)
    if state != f"{order.status}.{units}" or order.status in RESERVING_STATUSES or units == 0:
        raise _changed(f"release:{order_id}:{state}")
    released = release_lines(line_ids)
    return f"order {order_id} ({order.status}): {released} reserved units released"
