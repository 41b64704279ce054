"""Slotting (pure): ABC classes of SKUs by pick frequency, and moves that bring fast movers nearer.

ABC: SKUs ranked by picks (most first, then by code); A is the shortest head of the ranking whose
picks reach `a_share` of all picks, B the following SKUs until `a_share + b_share` is reached, C the
rest (and every SKU never picked). A SKU is in exactly one class, and A's share is at least `a_share`.

Moves: a fast mover (A) whose bin is far from the depot changes places with a slow mover (C) or an
empty bin nearer the depot. Each picker trip to a bin is counted as a walk from the depot and back,
so a swap saves 2 x (picks/week of the fast - of the slow) x (distance of the far bin - of the near
one) metres a week (`geometry.distance` from the depot). Each bin and SKU is in at most one suggested
move, and only moves that save travel are suggested, so applying any of them never adds travel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .geometry import Layout, PickPoint, distance

CLASSES = ("A", "B", "C")


@dataclass(frozen=True)
class AbcRow:
    sku: str
    picks: int
    share: float        # of all picks
    cumulative: float   # share of this SKU and every SKU ranked before it
    velocity: str       # A | B | C


def _fraction(value: float) -> Fraction:
    return Fraction(value).limit_denominator(10_000)


def abc_classes(picks: Mapping[str, int], *, a_share: float = 0.8, b_share: float = 0.15) -> list[AbcRow]:
    """Every SKU of `picks` (sku -> picks in the period) with its class, most picked first."""
    if not 0 < a_share <= 1 or not 0 <= b_share <= 1 - a_share + 1e-9:
        raise ValueError("need 0 < a_share <= 1 and 0 <= b_share <= 1 - a_share")
    if any(n < 0 for n in picks.values()):
        raise ValueError("pick counts cannot be negative")
    total = sum(picks.values())
    a_limit, ab_limit = _fraction(a_share) * total, _fraction(a_share + b_share) * total
    rows: list[AbcRow] = []
    before = 0
    for sku, n in sorted(picks.items(), key=lambda item: (-item[1], item[0])):
        if total and before < a_limit:
            velocity = "A"
        elif total and n and before < ab_limit:
            velocity = "B"
        else:
            velocity = "C"
        before += n
        rows.append(AbcRow(sku, n, n / total if total else 0.0, before / total if total else 0.0, velocity))
    return rows


def per_week(count: int, days: int) -> float:
    """A count over `days` days as a weekly rate."""
    if days <= 0:
        raise ValueError("the period needs at least one day")
    return count * 7 / days


@dataclass(frozen=True)
class Slot:
    """A pick-face bin, where it is, and the SKU it holds (None = empty)."""

    bin: str
    point: PickPoint
    sku: str | None = None


@dataclass(frozen=True)
class SlotMove:
    """Move `sku` from a far bin to a near one; `other_sku` (None when the near bin is empty) goes back."""

    sku: str
    from_bin: str
    from_distance: float
    to_bin: str
    to_distance: float
    other_sku: str | None
    picks_per_week: float
    other_picks_per_week: float
    saving_m_per_week: float


def _check_slots(slots: Iterable[Slot]) -> list[Slot]:
    slots = list(slots)
    skus = [s.sku for s in slots if s.sku is not None]
    if len(skus) != len(set(skus)):
        raise ValueError("a SKU may hold only one slot")
    if len({s.bin for s in slots}) != len(slots):
        raise ValueError("bins must differ")
    return slots


def travel_per_week(layout: Layout, slots: Iterable[Slot], weekly_picks: Mapping[str, float]) -> float:
    """Metres walked a week if every pick is a trip from the depot to the SKU's slot and back."""
    return sum(2 * weekly_picks.get(s.sku, 0.0) * distance(layout, layout.depot, s.point)
               for s in slots if s.sku is not None)


def suggest_moves(layout: Layout, slots: Iterable[Slot], weekly_picks: Mapping[str, float],
                  velocities: Mapping[str, str], *, limit: int = 20, min_saving: float = 0.0) -> list[SlotMove]:
    """The best swaps of fast movers into nearer slow or empty slots, largest saving first.

    Greedy: the fastest A SKU first takes the free candidate slot that saves most; then the next.
    """
    slots = _check_slots(slots)
    dist = {s.bin: distance(layout, layout.depot, s.point) for s in slots}
    fast = sorted((s for s in slots if s.sku is not None and velocities.get(s.sku) == "A"),
                  key=lambda s: (-weekly_picks.get(s.sku or "", 0.0), -dist[s.bin], s.bin))
    free = sorted((s for s in slots if s.sku is None or velocities.get(s.sku, "C") == "C"),
                  key=lambda s: (dist[s.bin], s.bin))
    used: set[str] = set()
    moves: list[SlotMove] = []
    for slot in fast:
        picks = weekly_picks.get(slot.sku or "", 0.0)
        best: tuple[float, Slot] | None = None
        for near in free:
            if dist[near.bin] >= dist[slot.bin]:
                break  # sorted by distance: nothing nearer is left
            if near.bin in used:
                continue
            other = weekly_picks.get(near.sku, 0.0) if near.sku else 0.0
            saving = 2 * (picks - other) * (dist[slot.bin] - dist[near.bin])
            if saving > max(min_saving, 0.0) and (best is None or saving > best[0]):
                best = (saving, near)
        if best is None:
            continue
        saving, near = best
        used.add(near.bin)
        moves.append(SlotMove(slot.sku or "", slot.bin, dist[slot.bin], near.bin, dist[near.bin], near.sku,
                              picks, weekly_picks.get(near.sku, 0.0) if near.sku else 0.0, saving))
    moves.sort(key=lambda m: (-m.saving_m_per_week, m.from_bin))
    return moves[:limit]


def apply_moves(slots: Iterable[Slot], moves: Iterable[SlotMove]) -> list[Slot]:
    """The slots after the moves: each move's SKU in its near bin, the other SKU in the far one."""
    holder = {s.bin: s.sku for s in slots}
    points = {s.bin: s.point for s in slots}
    for m in moves:
        holder[m.to_bin], holder[m.from_bin] = m.sku, m.other_sku
    return [Slot(b, points[b], sku) for b, sku in holder.items()]
