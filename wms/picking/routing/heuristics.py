"""Classic pick-routing heuristics: S-shape, largest gap and combined, for one or more blocks.

All three follow the block-by-block frame of Roodbergen & de Koster (2001, IJPR 39(9)): walk from the
depot to the pick aisle nearest to it, go up that aisle (picking on the way) to the farthest block that
holds picks, then clear the blocks one by one from the farthest back to the front, each time ending on
the block's front cross aisle, and walk back to the depot. They differ only in how a block is cleared:

- S-shape: every aisle with picks is walked end to end; the last one is entered and left from the
  front when that is the side the picker is on.
- largest gap (Hall 1993): each aisle is entered from both ends up to its largest gap between picks.
- combined (Roodbergen & de Koster 2001): per aisle, either walk it through or go in and back, chosen
  by a two-state dynamic programme over the aisles of the block.

With one block these are the textbook single-block heuristics. Routes keep the picker's actual walk
(aisle ends included) in `path`, so their lengths are those of the heuristics, not of a shortest walk
between consecutive picks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wms.locations.geometry import Layout, PickPoint
from wms.picking.routing.base import Route, check_picks, make_route

Extents = dict[tuple[int, int], tuple[float, float]]  # (block, aisle) -> (lowest y, highest y) of picks
_INF = float("inf")


class _Walk:
    """The picker's walk, recorded as straight stretches so the checker measures it exactly."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.aisle, self.y = layout.depot.aisle, layout.depot.y
        self.path: list[PickPoint] = [layout.depot]
        self.picked: list[PickPoint] = []

    def to(self, aisle: int, y: float) -> None:
        """Walk straight: along the current aisle, or along the cross aisle the picker stands on."""
        if (aisle, y) != (self.aisle, self.y):
            self.path.append(PickPoint(aisle, y))
            self.aisle, self.y = aisle, y

    def to_cross(self, aisle: int, cross: int) -> None:
        y = self.layout.cross_aisle_ys[cross]
        if aisle != self.aisle:
            self.to(self.aisle, y)
        self.to(aisle, y)

    def pick(self, picks: Iterable[PickPoint]) -> None:
        for p in picks:
            self.path.append(p)
            self.picked.append(p)
            self.aisle, self.y = p.aisle, p.y

    def home(self) -> None:
        depot = self.layout.depot
        self.to_cross(depot.aisle, 0)
        self.to(depot.aisle, depot.y)
        self.path.append(depot)


_Cells = dict[int, list[PickPoint]]  # aisle -> the block's picks in that aisle, sorted by y
_Clear = Callable[[_Walk, int, _Cells, bool], None]


def _frame(layout: Layout, picks: Iterable[PickPoint], method: str, clear: _Clear) -> Route:
    todo = check_picks(layout, picks)
    if not todo:
        return make_route(layout, method, [])
    cells: dict[tuple[int, int], list[PickPoint]] = {}
    for p in sorted(todo, key=lambda p: p.y):
        cells.setdefault((layout.block_of(p.y), p.aisle), []).append(p)
    farthest = max(block for block, _ in cells)
    entry = _entry_aisle(layout, {aisle for _, aisle in cells})
    walk = _Walk(layout)
    walk.to_cross(entry, 0)
    for block in range(farthest):
        walk.pick(cells.pop((block, entry), []))
        walk.to_cross(entry, block + 1)
    for block in range(farthest, -1, -1):
        block_cells = {aisle: ps for (b, aisle), ps in cells.items() if b == block}
        clear(walk, block, block_cells, block == farthest)
    walk.home()
    return make_route(layout, method, walk.picked, walk.path)


def _entry_aisle(layout: Layout, aisles: Iterable[int]) -> int:
    """The aisle with picks nearest the depot (the lower index on a tie)."""
    xs = layout.aisle_xs
    home = xs[layout.depot.aisle]
    best, best_key = -1, (_INF, 0)
    for a in aisles:
        key = (abs(xs[a] - home), a)
        if key < best_key:
            best, best_key = a, key
    return best


def _sweep(layout: Layout, start: int, aisles: Iterable[int]) -> list[int]:
    """The aisles in sweep order, starting from the end nearer to where the picker stands."""
    ordered = sorted(aisles)
    xs = layout.aisle_xs
    return ordered if abs(xs[start] - xs[ordered[0]]) <= abs(xs[start] - xs[ordered[-1]]) else ordered[::-1]


def _clear_s_shape(walk: _Walk, block: int, cells: _Cells, from_front: bool) -> None:
    layout = walk.layout
    if not cells:
        if not from_front:
            walk.to_cross(walk.aisle, block)
        return
    order = _sweep(layout, walk.aisle, cells)
    side = block if from_front else block + 1
    for i, aisle in enumerate(order):
        walk.to_cross(aisle, side)
        going_up = side == block
        walk.pick(cells[aisle] if going_up else reversed(cells[aisle]))
        if going_up and i == len(order) - 1:
            walk.to_cross(aisle, block)  # the last aisle is left the way it was entered
        else:
            side = block + 1 if going_up else block
            walk.to_cross(aisle, side)


def _split_at_largest_gap(picks: list[PickPoint], low: float, high: float) -> tuple[list[PickPoint], list[PickPoint]]:
    """The picks reached from the front and those reached from the back, split at the largest gap."""
    ys = [p.y for p in picks]
    best, cut = high - ys[-1], len(picks)  # everything from the front
    if ys[0] - low > best:
        best, cut = ys[0] - low, 0
    for i in range(1, len(ys)):
        if ys[i] - ys[i - 1] > best:
            best, cut = ys[i] - ys[i - 1], i
    return picks[:cut], picks[cut:]


def _clear_largest_gap(walk: _Walk, block: int, cells: _Cells, from_front: bool) -> None:
    layout = walk.layout
    low, high = layout.cross_aisle_ys[block], layout.cross_aisle_ys[block + 1]
    if len(cells) <= 1:
        _clear_s_shape(walk, block, cells, from_front)
        return
    first, *middle, last = _sweep(layout, walk.aisle, cells)
    if from_front:
        walk.to_cross(first, block)
        walk.pick(cells[first])
        walk.to_cross(first, block + 1)
    else:
        middle = [first, *middle]
    split = {aisle: _split_at_largest_gap(cells[aisle], low, high) for aisle in middle}
    for aisle in middle:
        from_back = split[aisle][1]
        if from_back:
            walk.to_cross(aisle, block + 1)
            walk.pick(reversed(from_back))
            walk.to_cross(aisle, block + 1)
    walk.to_cross(last, block + 1)
    walk.pick(reversed(cells[last]))
    walk.to_cross(last, block)
    for aisle in reversed(middle):
        from_front_part = split[aisle][0]
        if from_front_part:
            walk.to_cross(aisle, block)
            walk.pick(from_front_part)
            walk.to_cross(aisle, block)


def _combined_block(
    layout: Layout, block: int, start: int, extents: dict[int, tuple[float, float]], from_front: bool
) -> tuple[float, list[int], list[bool]]:
    """Cheapest way to clear a block aisle by aisle: (length, aisle order, walk-through per aisle).

    State after each aisle: the cheapest walk so far ending on the block's front cross aisle and the
    cheapest ending on its back one. Going in and back keeps the side; walking through switches it.
    The block must be left at its front. This runs for every saving in batching, hence the plain
    arithmetic.
    """
    low, high = layout.cross_aisle_ys[block], layout.cross_aisle_ys[block + 1]
    span = high - low
    if not extents:
        return (0.0 if from_front else span), [], []
    xs = layout.aisle_xs
    ascending = sorted(extents)
    orders = [ascending]
    # Entered from the front at one end, the mirror image of any sweep from the other end is as
    # short once there, so only the sweep starting here needs costing.
    if not (from_front and start in (ascending[0], ascending[-1])):
        orders.append(ascending[::-1])
    elif start == ascending[-1]:
        orders = [ascending[::-1]]
    best: tuple[float, list[int], list[bool]] = (_INF, [], [])
    for order in orders:
        x = xs[start]
        front, back = (0.0, _INF) if from_front else (_INF, 0.0)
        trail: list[tuple[bool, bool]] = []
        for aisle in order:
            xa = xs[aisle]
            dx = x - xa if x > xa else xa - x
            x = xa
            front += dx
            back += dx
            lo, hi = extents[aisle]
            in_front, through_down = front + 2 * (hi - low), back + span
            in_back, through_up = back + 2 * (high - lo), front + span
            front_walked, back_walked = in_front > through_down, in_back > through_up
            front = through_down if front_walked else in_front
            back = through_up if back_walked else in_back
            trail.append((front_walked, back_walked))
        if front < best[0]:
            side_back, through = False, []
            for front_walked, back_walked in reversed(trail):
                walked = back_walked if side_back else front_walked
                through.append(walked)
                side_back = side_back != walked
            best = (front, order, through[::-1])
    return best


def extents_of(layout: Layout, picks: Iterable[PickPoint]) -> Extents:
    """Lowest and highest pick per (block, aisle): all the combined heuristic needs to decide."""
    out: Extents = {}
    for p in picks:
        key = (layout.block_of(p.y), p.aisle)
        seen = out.get(key)
        out[key] = (p.y, p.y) if seen is None else (min(seen[0], p.y), max(seen[1], p.y))
    return out


def merge_extents(a: Extents, b: Extents) -> Extents:
    """Extents of the union of two pick lists."""
    out = dict(a)
    for key, ext in b.items():
        seen = out.get(key)
        if seen is None:
            out[key] = ext
        elif ext[0] < seen[0] or ext[1] > seen[1]:
            out[key] = (ext[0] if ext[0] < seen[0] else seen[0], ext[1] if ext[1] > seen[1] else seen[1])
    return out


def _combined_plan(layout: Layout, extents: Extents) -> tuple[float, list[tuple[list[int], list[bool]]]]:
    """Length and per-block plans (farthest block first) of the combined heuristic."""
    depot, xs, ys = layout.depot, layout.aisle_xs, layout.cross_aisle_ys
    farthest = max(block for block, _ in extents)
    entry = _entry_aisle(layout, {aisle for _, aisle in extents})
    length = depot.y + abs(xs[entry] - xs[depot.aisle]) + ys[farthest]
    plans = []
    aisle = entry
    for block in range(farthest, -1, -1):
        cells = {a: ext for (b, a), ext in extents.items() if b == block and (b == farthest or a != entry)}
        cost, order, through = _combined_block(layout, block, aisle, cells, block == farthest)
        length += cost
        plans.append((order, through))
        aisle = order[-1] if order else aisle
    length += abs(xs[aisle] - xs[depot.aisle]) + depot.y
    return length, plans


def combined_length(layout: Layout, extents: Extents) -> float:
    """Length of the combined heuristic's route from extents alone: a fast estimate for batching."""
    if not extents:
        return 0.0
    return _combined_plan(layout, extents)[0]


def s_shape_route(layout: Layout, picks: Iterable[PickPoint]) -> Route:
    """S-shape (traversal) routing after Roodbergen & de Koster (2001), the usual baseline."""
    return _frame(layout, picks, "s-shape", _clear_s_shape)


def largest_gap_route(layout: Layout, picks: Iterable[PickPoint]) -> Route:
    """Largest-gap routing (Hall 1993; multi-block after Roodbergen & de Koster 2001)."""
    return _frame(layout, picks, "largest-gap", _clear_largest_gap)


def combined_route(layout: Layout, picks: Iterable[PickPoint]) -> Route:
    """Combined routing of Roodbergen & de Koster (2001): walk through or return, aisle by aisle."""
    todo = check_picks(layout, picks)
    if not todo:
        return make_route(layout, "combined", [])
    _, plans = _combined_plan(layout, extents_of(layout, todo))
    steps = iter(plans)

    def clear(walk: _Walk, block: int, cells: _Cells, from_front: bool) -> None:
        order, through = next(steps)
        side = block if from_front else block + 1
        if not order and not from_front:
            walk.to_cross(walk.aisle, block)
        for aisle, walked in zip(order, through, strict=True):
            walk.to_cross(aisle, side)
            going_up = side == block
            walk.pick(cells[aisle] if going_up else reversed(cells[aisle]))
            if walked:
                side = block + 1 if going_up else block
            walk.to_cross(aisle, side)

    return _frame(layout, todo, "combined", clear)
