"""Expiry alerts (临期预警) and what the office does with a lot near its dates: move the stock to a
clearance bin, scrap it, or mark the lot for a discount sale. Each stock change is a ledger move of
the lot (`move_stock(..., lot_id=)`).

The window is a setting (`lots.expiry_alert_days`, default 30): a lot is due when its expiry date,
or its shipping limit (expiry minus the SKU's min_ship_life_days), falls within that many days.
Clearance bins are not reservable (NOT_RESERVABLE_BIN_TYPES): stock moved there is kept out of
normal orders and sold through the discount channel the office chooses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from sqlalchemy import func, select

from ..catalog.models import Sku
from ..db import atomic
from ..errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from ..extensions import db
from ..settings import get_setting, put_setting
from .lot_rules import ExpiryAlert, expiry_alert
from .lot_trace import LotBin, due_lot_ids, lot_bins
from .models import Location, Lot, Quant, StockMove
from .reservations import business_today
from .services import move_stock, virtual_location

WINDOW_KEY = "lots.expiry_alert_days"
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 3650


def alert_window_days() -> int:
    value = get_setting(WINDOW_KEY, DEFAULT_WINDOW_DAYS)
    return value if isinstance(value, int) and 0 <= value <= MAX_WINDOW_DAYS else DEFAULT_WINDOW_DAYS


def save_alert_window_days(days: int, *, user_id: int | None = None) -> None:
    if not 0 <= days <= MAX_WINDOW_DAYS:
        raise ValidationFailed(f"the alert window is 0 to {MAX_WINDOW_DAYS} days", code="bad_alert_window",
                               maximum=MAX_WINDOW_DAYS)
    put_setting(WINDOW_KEY, days, user_id=user_id)


@dataclass(frozen=True)
class ExpiringLot:
    lot: Lot
    sku: Sku
    alert: ExpiryAlert
    bins: list[LotBin]

    @property
    def on_hand(self) -> int:
        return sum(b.quantity for b in self.bins)

    @property
    def reserved(self) -> int:
        return sum(b.reserved for b in self.bins)


def _due_with_stock(warehouse_ids: set[int] | None, window: int, today: date):
    stmt = (select(Lot.id).join(Quant, Quant.lot_id == Lot.id).join(Location, Location.id == Quant.location_id)
            .where(Lot.id.in_(due_lot_ids(window, today)), Location.usage == "internal", Quant.quantity > 0))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    return stmt.distinct()


def expiring_lots(warehouse_ids: set[int] | None, *, window_days: int | None = None,
                  today: date | None = None) -> list[ExpiringLot]:
    """Lots with stock in these warehouses that are due (expired first, then by shipping limit)."""
    today = today or business_today()
    window = alert_window_days() if window_days is None else window_days
    lots = db.session.scalars(select(Lot).where(Lot.id.in_(_due_with_stock(warehouse_ids, window, today)))).all()
    found = [ExpiringLot(lot, lot.sku, expiry_alert(today, lot.expiry_date, lot.sku.min_ship_life_days, window),
                         lot_bins(lot.id, warehouse_ids)) for lot in lots]
    return sorted(found, key=lambda e: (e.alert.days_to_ship_limit, e.alert.days_left, e.sku.code, e.lot.lot_number))


def expiring_count(warehouse_ids: set[int] | None, *, today: date | None = None) -> int:
    """How many lots with stock in these warehouses are due (the dashboard's and the board's card)."""
    today = today or business_today()
    stmt = _due_with_stock(warehouse_ids, alert_window_days(), today).subquery()
    return int(db.session.scalar(select(func.count()).select_from(stmt)) or 0)


def expiring_counts_by_warehouse(warehouse_ids: set[int] | None, *, today: date | None = None) -> dict[int, int]:
    today = today or business_today()
    stmt = (select(Location.warehouse_id, func.count(func.distinct(Quant.lot_id)))
            .join(Location, Location.id == Quant.location_id)
            .where(Quant.lot_id.in_(due_lot_ids(alert_window_days(), today)), Location.usage == "internal",
                   Quant.quantity > 0).group_by(Location.warehouse_id))
    if warehouse_ids is not None:
        stmt = stmt.where(Location.warehouse_id.in_(warehouse_ids))
    counts: dict[int, int] = defaultdict(int)
    for wh, n in db.session.execute(stmt):
        counts[wh] = int(n)
    return counts


# --- acting on the stock of a lot ------------------------------------------------------------------


def _quant_of(lot: Lot, location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or location.usage != "internal" or location.warehouse_id is None:
        raise NotFound("no such bin", code="unknown_bin")
    return location


def _refuse_reserved(lot: Lot, location: Location, quantity: int) -> NoReturn:
    """The core refused the move (not enough unreserved units): say how many are free and why."""
    row = db.session.execute(select(Quant.quantity, Quant.reserved_quantity)
                             .where(Quant.lot_id == lot.id, Quant.location_id == location.id)).first()
    on_hand, reserved = (int(row[0]), int(row[1])) if row else (0, 0)
    raise InsufficientStock(f"only {on_hand - reserved} units of lot {lot.lot_number} in {location.code} are free",
                            code="lot_units_reserved", lot=lot.lot_number, bin=location.code,
                            free=on_hand - reserved, reserved=reserved, requested=quantity)


def move_to_clearance(lot_id: int, from_location_id: int, to_location_id: int, quantity: int, *,
                      user_id: int | None = None) -> StockMove:
    """Move unreserved units of a lot into a clearance bin of the same warehouse (a ledger move).

    Locks: the source quant (move_stock's conditional UPDATE) and the destination quant. Refused,
    nothing changed, for reserved units, another warehouse, a bin that is not a clearance bin, or a
    one-lot bin already holding another lot of the SKU."""
    with atomic():
        lot = db.session.get(Lot, lot_id) or _no_lot(lot_id)
        source = _quant_of(lot, from_location_id)
        target = db.session.get(Location, to_location_id)
        if target is None or target.bin_type != "clearance" or not target.active \
                or target.warehouse_id != source.warehouse_id:
            raise ValidationFailed("choose an active clearance bin of the same warehouse", code="not_a_clearance_bin",
                                   bin=target.code if target else "")
        if not target.mixed_lots and db.session.scalar(
                select(Quant.id).where(Quant.sku_id == lot.sku_id, Quant.location_id == target.id,
                                       Quant.lot_id != lot.id, Quant.quantity > 0)):
            raise Conflict(f"{target.code} holds another lot of this SKU", code="bin_holds_other_lot",
                           bin=target.code)
        try:
            return move_stock(lot.sku_id, source.id, target.id, quantity, reason="move",
                              reference=f"CLEARANCE-{lot.lot_number}", note="clearance", user_id=user_id,
                              lot_id=lot.id)
        except InsufficientStock:
            _refuse_reserved(lot, source, quantity)


def scrap_lot_stock(lot_id: int, location_id: int, quantity: int, *, note: str = "",
                    user_id: int | None = None) -> StockMove:
    """Write off unreserved units of a lot (expired ones too) to inventory loss, reason "scrap".

    Locks: the source quant (move_stock's conditional UPDATE). Reserved units are refused, nothing changed."""
    with atomic():
        lot = db.session.get(Lot, lot_id) or _no_lot(lot_id)
        source = _quant_of(lot, location_id)
        try:
            return move_stock(lot.sku_id, source.id, virtual_location("INV-LOSS").id, quantity, reason="scrap",
                              reference=f"SCRAP-{lot.lot_number}", note=" ".join(note.split()), user_id=user_id,
                              lot_id=lot.id)
        except InsufficientStock:
            _refuse_reserved(lot, source, quantity)


def mark_for_discount(lot_id: int, note: str) -> Lot:
    """Mark (or, with an empty note, unmark) a lot for a discount sale (清仓): a note for the office."""
    with atomic():
        from ..db import locked

        lot = locked(Lot, lot_id) or _no_lot(lot_id)
        lot.clearance_note = " ".join(note.split())[:255]
    return lot


def clearance_bins(warehouse_id: int) -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.warehouse_id == warehouse_id,
                                                          Location.bin_type == "clearance",
                                                          Location.active.is_(True)).order_by(Location.code)))


def _no_lot(lot_id: int) -> NoReturn:
    raise NotFound("no such lot", code="unknown_lot", lot_id=lot_id)
