"""Putaway (上架) suggestions: where received units should go.

`choose_putaway_bin` is pure (plain data in, plain data out) and decides in this order:

1. a storage bin that already holds the SKU and has room for the whole quantity (consolidate);
2. an empty bin with room, of the type that suits the SKU's velocity class (pick face for fast
   movers, A; reserve otherwise, B and C; the other type when none of that type fits), chosen in the
   SKU's velocity band: fast movers get the empty bin nearest the depot, slow movers the farthest,
   B the middle one;
3. the best remaining fit: the bin that takes the most units (a shared bin that holds other SKUs
   but has room for everything, else a partial fit), or None with a reason when no bin has room.

Lots: a bin whose `mixed_lots` is off takes one lot of a SKU at a time, so for a lot-tracked SKU a
single-lot bin holding (or promised) another lot of that SKU is never a candidate; "holds the SKU"
then means holds this lot. Bins that allow mixed lots consolidate the SKU's lots as before.

`suggest_putaway_bin` is the database wrapper: it loads the warehouse's active pick and reserve bins,
counts units promised to bins by open putaway tasks as already there (so two SKUs of one receipt are
not sent to the same empty bin), and measures the distance to the depot.

Distance: Manhattan distance |x| + |y| from the bin's floor coordinates to the depot at (0, 0), the
front cross aisle where `create_layout` puts it; a bin without coordinates ranks after every bin
with them. (wms.locations.layout's geometry, once it exists, can replace `depot_distance`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STORAGE_BIN_TYPES = ("pick", "reserve")
VELOCITY_CLASSES = ("A", "B", "C")
DEFAULT_VELOCITY = "B"


@dataclass(frozen=True)
class CandidateBin:
    """A storage bin as the putaway rule sees it. capacity None means unlimited."""

    id: int
    code: str
    bin_type: str
    capacity: int | None
    quantity: int = 0                       # units on hand (all SKUs), plus units promised to it
    skus: frozenset[int] = field(default_factory=frozenset)
    distance: float | None = None           # to the depot; None when the bin has no coordinates
    zone: str = ""
    mixed_lots: bool = True                 # False: one lot of a SKU at a time
    lots: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (sku id, lot id) held or promised

    def takes_lot(self, sku_id: int, lot_id: int | None) -> bool:
        """False for a single-lot bin that holds another lot of the SKU."""
        if lot_id is None or self.mixed_lots:
            return True
        return all(lot == lot_id for sku, lot in self.lots if sku == sku_id)

    @property
    def room(self) -> int | None:
        """Units it can still take; None = unlimited."""
        return None if self.capacity is None else max(0, self.capacity - self.quantity)

    def fits(self, quantity: int) -> int:
        """How many of `quantity` units it can take."""
        room = self.room
        return quantity if room is None else min(room, quantity)

    @property
    def is_empty(self) -> bool:
        return self.quantity == 0 and not self.skus


@dataclass(frozen=True)
class PutawaySuggestion:
    """The chosen bin (or None), the rule that chose it, how many units fit there, and why."""

    bin: CandidateBin | None
    rule: str      # holds_sku | empty_bin | shared_bin | partial_fit | no_room | no_bins
    fits: int
    reason: str


def velocity_class(sku_id: int, velocities: Mapping[int, str] | None = None) -> str:
    """The SKU's ABC class from a velocity source (sku id -> 'A'|'B'|'C'); B when unknown."""
    found = (velocities or {}).get(sku_id, DEFAULT_VELOCITY)
    return found if found in VELOCITY_CLASSES else DEFAULT_VELOCITY


def preferred_types(velocity: str) -> tuple[str, str]:
    """Fast movers go to pick faces, everything else to reserve; the other type is the fallback."""
    return ("pick", "reserve") if velocity == "A" else ("reserve", "pick")


def _distance_key(b: CandidateBin) -> tuple[int, float, str]:
    # Bins without coordinates come after every located bin, whatever the velocity class.
    return (1, 0.0, b.code) if b.distance is None else (0, b.distance, b.code)


def _in_band(bins: list[CandidateBin], velocity: str) -> CandidateBin:
    located = sorted((b for b in bins if b.distance is not None), key=_distance_key)
    if not located:
        return min(bins, key=_distance_key)
    if velocity == "A":
        return located[0]
    if velocity == "C":
        return located[-1]
    return located[(len(located) - 1) // 2]


def choose_putaway_bin(sku_id: int, quantity: int, candidates: Iterable[CandidateBin],
                       velocity: str = DEFAULT_VELOCITY, *, lot_id: int | None = None) -> PutawaySuggestion:
    """Choose the bin for `quantity` units of a SKU (of one lot) among the candidate bins (see the module doc)."""
    if velocity not in VELOCITY_CLASSES:
        velocity = DEFAULT_VELOCITY
    bins = [b for b in candidates if b.bin_type in STORAGE_BIN_TYPES and b.takes_lot(sku_id, lot_id)]
    if quantity <= 0 or not bins:
        return PutawaySuggestion(None, "no_bins", 0, "no storage bins to choose from" if quantity > 0
                                 else "nothing to put away")
    first, second = preferred_types(velocity)
    type_rank = {first: 0, second: 1}

    holding = [b for b in bins if sku_id in b.skus and b.fits(quantity) == quantity
               and (lot_id is None or b.mixed_lots or (sku_id, lot_id) in b.lots)]
    if holding:
        best = min(holding, key=lambda b: (type_rank[b.bin_type], _distance_key(b)))
        return PutawaySuggestion(best, "holds_sku", quantity, f"{best.code} already holds the SKU and has room")

    for bin_type in (first, second):
        empties = [b for b in bins if b.bin_type == bin_type and b.is_empty and b.fits(quantity) == quantity]
        if empties:
            best = _in_band(empties, velocity)
            return PutawaySuggestion(best, "empty_bin", quantity,
                                     f"{best.code} is an empty {bin_type} bin in the {velocity} band")

    with_room = [b for b in bins if b.fits(quantity) > 0]
    if not with_room:
        return PutawaySuggestion(None, "no_room", 0, f"no storage bin has room for {quantity} units")
    best = min(with_room, key=lambda b: (-b.fits(quantity), sku_id not in b.skus and not b.is_empty,
                                         type_rank[b.bin_type], _distance_key(b)))
    fits = best.fits(quantity)
    if fits == quantity:
        return PutawaySuggestion(best, "shared_bin", fits, f"{best.code} holds other SKUs but has room")
    return PutawaySuggestion(best, "partial_fit", fits, f"{best.code} has room for {fits} of {quantity} units")


# --- Database wrapper -----------------------------------------------------------------------------

def depot_distance(x: float | None, y: float | None, depot: tuple[float, float] = (0.0, 0.0)) -> float | None:
    """Manhattan distance from a bin to the depot; None for a bin without coordinates."""
    if x is None or y is None:
        return None
    return abs(x - depot[0]) + abs(y - depot[1])


def candidate_bins(warehouse_id: int, *, exclude_task_id: int | None = None) -> list[CandidateBin]:
    """The warehouse's active pick and reserve bins with their contents and units promised to them
    by open putaway tasks (except `exclude_task_id`, the task being suggested again)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Quant

    from .layout import walk_from_depot, warehouse_geometry
    from .models import PutawayTask

    parent, grandparent = aliased(Location), aliased(Location)
    rows = db.session.execute(
        select(Location.id, Location.code, Location.bin_type, Location.capacity, Location.x, Location.y,
               parent.kind, parent.code, grandparent.kind, grandparent.code, Location.aisle_no, Location.mixed_lots)
        .outerjoin(parent, parent.id == Location.parent_id)
        .outerjoin(grandparent, grandparent.id == parent.parent_id)
        .where(Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.usage == "internal",
               Location.active.is_(True), Location.bin_type.in_(STORAGE_BIN_TYPES))).all()
    ids = [r[0] for r in rows]
    quantity: dict[int, int] = dict.fromkeys(ids, 0)
    skus: dict[int, set[int]] = {i: set() for i in ids}
    lots: dict[int, set[tuple[int, int]]] = {i: set() for i in ids}
    for loc_id, sku_id, lot_id, qty in db.session.execute(
            select(Quant.location_id, Quant.sku_id, Quant.lot_id, Quant.quantity)
            .join(Location, Location.id == Quant.location_id)
            .where(Location.warehouse_id == warehouse_id, Quant.quantity > 0)):
        if loc_id in quantity:
            quantity[loc_id] += qty
            skus[loc_id].add(sku_id)
            if lot_id is not None:
                lots[loc_id].add((sku_id, lot_id))
    promised = (select(PutawayTask.suggested_location_id, PutawayTask.sku_id, PutawayTask.lot_id,
                       func.sum(PutawayTask.quantity))
                .where(PutawayTask.warehouse_id == warehouse_id, PutawayTask.status.in_(("open", "in_progress")),
                       PutawayTask.suggested_location_id.is_not(None))
                .group_by(PutawayTask.suggested_location_id, PutawayTask.sku_id, PutawayTask.lot_id))
    if exclude_task_id is not None:
        promised = promised.where(PutawayTask.id != exclude_task_id)
    for loc_id, sku_id, lot_id, qty in db.session.execute(promised):
        if loc_id in quantity:
            quantity[loc_id] += int(qty)
            skus[loc_id].add(sku_id)
            if lot_id is not None:
                lots[loc_id].add((sku_id, lot_id))
    # Walking distance along aisles and cross aisles where the layout is known, else as the crow flies.
    geometry = warehouse_geometry(warehouse_id)
    result = []
    for loc_id, code, bin_type, capacity, x, y, p_kind, p_code, g_kind, g_code, aisle_no, mixed in rows:
        zone = p_code if p_kind == "zone" else g_code if g_kind == "zone" else ""
        walk = walk_from_depot(geometry, aisle_no, y)
        result.append(CandidateBin(loc_id, code, bin_type, capacity, quantity[loc_id], frozenset(skus[loc_id]),
                                   walk if walk is not None else depot_distance(x, y), zone or "",
                                   mixed is not False, frozenset(lots[loc_id])))
    return result


def suggest_putaway_bin(warehouse_id: int, sku_id: int, quantity: int, *,
                        velocities: Mapping[int, str] | None = None,
                        exclude_task_id: int | None = None, lot_id: int | None = None) -> PutawaySuggestion:
    """The suggested bin of a warehouse for `quantity` units of a SKU (of `lot_id`, when tracked); reads only."""
    return choose_putaway_bin(sku_id, quantity, candidate_bins(warehouse_id, exclude_task_id=exclude_task_id),
                              velocity_class(sku_id, velocities), lot_id=lot_id)
