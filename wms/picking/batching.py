"""Order batching: which orders one picker collects together on one tour with one cart.

Batches must fit the cart (capacity in items) and every order goes into exactly one batch; the aim is
the least total travel over all batch tours. Methods, after de Koster, van der Poort & Wolters (1999,
IJPR 37(7)) and Henn & Wäscher (2012, EJOR 222):

- fcfs: orders in arrival order, a new batch whenever the next order does not fit (the baseline).
- seed: start a batch from the order with the longest route of its own, then keep adding the order
  that adds the least travel until nothing fits.
- savings: Clarke & Wright (1964) savings. Every order starts alone; the pair of batches whose joint
  tour saves most against two separate tours is merged, and the merged batch's savings against the
  others are recomputed, until no pair fits the cart.
- "+local": then move single orders between batches, or swap two, while that shortens the total.

Construction decisions use a fast length estimate (the combined heuristic's length from per-aisle
pick extents, about 15 microseconds); local search accepts a change only if the router itself says
the total got shorter, so the final figures are the router's. Everything is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from wms.locations.geometry import Layout, PickPoint
from wms.picking.routing import Route, best_route, combined_length, extents_of, merge_extents
from wms.picking.routing.heuristics import Extents

Router = Callable[[Layout, Iterable[PickPoint]], Route]
METHODS = ("fcfs", "seed", "savings", "seed+local", "savings+local")
_EPS = 1e-9
# Local search routes at most this many of an order's best-estimated moves, and also those the
# estimate rates up to this fraction worse: the estimate is a heuristic's length, so near misses are
# often real gains under the exact router.
_SHORTLIST = 6
_SLACK = 0.006


class OrderTooLargeForCart(ValueError):
    """An order holds more items than one cart takes; it must be split before batching."""


@dataclass(frozen=True)
class Order:
    """An order to pick: its id, where its lines are, and how many items it puts on the cart."""

    id: str
    picks: tuple[PickPoint, ...]
    size: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"order {self.id} has a negative size")


@dataclass(frozen=True)
class Batch:
    """Orders picked on one tour, in arrival order, with the tour through all their picks."""

    orders: tuple[Order, ...]
    route: Route

    @property
    def size(self) -> int:
        return sum(o.size for o in self.orders)

    @property
    def length(self) -> float:
        return self.route.length


@dataclass(frozen=True)
class BatchPlan:
    """The batches for a set of orders, ordered by their earliest order."""

    method: str
    capacity: int
    batches: tuple[Batch, ...]

    @property
    def total_length(self) -> float:
        return sum(b.length for b in self.batches)


class _Lengths:
    """Estimated and routed tour lengths of groups of orders (by index), each computed once."""

    def __init__(self, layout: Layout, orders: list[Order], router: Router) -> None:
        self.layout, self.orders, self.router = layout, orders, router
        self.extents = [extents_of(layout, o.picks) for o in orders]
        self._estimates: dict[frozenset[int], float] = {frozenset(): 0.0}
        self._merged: dict[frozenset[int], Extents] = {}
        self._routes: dict[frozenset[int], Route] = {}
        self.routings = 0

    def estimate(self, group: frozenset[int], plus: int | None = None) -> float:
        """Estimated tour length of group, or of group with order `plus` added."""
        key = group if plus is None else group | {plus}
        length = self._estimates.get(key)
        if length is None:
            merged = self._extents(group)
            if plus is not None:
                merged = merge_extents(merged, self.extents[plus])
            length = self._estimates[key] = combined_length(self.layout, merged)
        return length

    def _extents(self, group: frozenset[int]) -> Extents:
        merged = self._merged.get(group)
        if merged is None:
            merged = {}
            for i in group:
                merged = merge_extents(merged, self.extents[i])
            self._merged[group] = merged
        return merged

    def route(self, group: frozenset[int]) -> Route:
        route = self._routes.get(group)
        if route is None:
            self.routings += 1
            picks = [p for i in sorted(group) for p in self.orders[i].picks]
            route = self._routes[group] = self.router(self.layout, picks)
        return route

    def routed(self, group: frozenset[int]) -> float:
        return self.route(group).length if group else 0.0


def _fcfs(sizes: list[int], capacity: int) -> list[list[int]]:
    groups: list[list[int]] = []
    load = capacity + 1
    for i, size in enumerate(sizes):
        if load + size > capacity:
            groups.append([])
            load = 0
        groups[-1].append(i)
        load += size
    return groups


def _seed(lengths: _Lengths, sizes: list[int], capacity: int) -> list[list[int]]:
    left = set(range(len(sizes)))
    alone = [lengths.estimate(frozenset([i])) for i in range(len(sizes))]
    groups: list[list[int]] = []
    while left:
        seed = max(sorted(left), key=alone.__getitem__)
        left.discard(seed)
        group, load, length = frozenset([seed]), sizes[seed], alone[seed]
        while True:
            fitting = [i for i in sorted(left) if load + sizes[i] <= capacity]
            if not fitting:
                break
            added = {i: lengths.estimate(group | {i}) for i in fitting}
            pick = min(fitting, key=lambda i: added[i] - length)
            group, load, length = group | {pick}, load + sizes[pick], added[pick]
            left.discard(pick)
        groups.append(sorted(group))
    return groups


def _savings(lengths: _Lengths, sizes: list[int], capacity: int) -> list[list[int]]:
    alive: dict[int, tuple[frozenset[int], int, float]] = {}  # batch id -> (orders, load, estimate)
    for i, size in enumerate(sizes):
        alive[i] = (frozenset([i]), size, lengths.estimate(frozenset([i])))

    def saving(a: int, b: int) -> tuple[float, int, int] | None:
        (ga, la, ea), (gb, lb, eb) = alive[a], alive[b]
        if la + lb > capacity:
            return None
        return (lengths.estimate(ga | gb) - ea - eb, a, b)  # minus the saving: heapq pops the least

    ids = list(alive)
    heap = [s for x, a in enumerate(ids) for b in ids[x + 1 :] if (s := saving(a, b)) is not None]
    heapq.heapify(heap)
    next_id = len(sizes)
    while heap:
        _, a, b = heapq.heappop(heap)
        if a not in alive or b not in alive:
            continue  # one side was merged since this saving was computed
        (ga, la, _), (gb, lb, _) = alive.pop(a), alive.pop(b)
        merged = ga | gb
        alive[next_id] = (merged, la + lb, lengths.estimate(merged))
        for other in list(alive)[:-1]:
            if (s := saving(other, next_id)) is not None:
                heapq.heappush(heap, s)
        next_id += 1
    return [sorted(g) for g, _, _ in alive.values()]


def _improve(
    lengths: _Lengths, sizes: list[int], capacity: int, groups: list[list[int]], max_routings: int
) -> list[list[int]]:
    """Move or swap orders between batches while the router confirms a shorter total.

    Candidates come from Henn & Wäscher's shift and swap neighbourhoods, ranked by the estimate;
    only the few most promising per order are routed (first improvement), and at most
    `max_routings` new routings are spent in all.
    """
    batches = [frozenset(g) for g in groups]
    where = {i: b for b, g in enumerate(batches) for i in g}
    est, routed = lengths.estimate, lengths.routed
    budget = lengths.routings + max_routings
    improved = True
    while improved and lengths.routings < budget:
        improved = False
        for o in range(len(sizes)):
            a = where[o]
            home, home_without = batches[a], batches[a] - {o}
            load_a = sum(sizes[i] for i in home)
            loss = est(home_without) - est(home)
            candidates: list[tuple[float, int, int | None]] = []
            for b, other in enumerate(batches):
                if b == a or not other:
                    continue
                load_b = sum(sizes[i] for i in other)
                if load_b + sizes[o] <= capacity:
                    candidates.append((loss + est(other, o) - est(other), b, None))
                for p in sorted(other):
                    if load_a - sizes[o] + sizes[p] <= capacity and load_b - sizes[p] + sizes[o] <= capacity:
                        delta = est(home_without, p) - est(home) + est(other - {p}, o) - est(other)
                        candidates.append((delta, b, p))
            candidates.sort(key=lambda c: (c[0], c[1], -1 if c[2] is None else c[2]))
            for delta, b, p in candidates[:_SHORTLIST]:
                if lengths.routings >= budget:
                    break
                if delta >= _SLACK * (est(home) + est(batches[b])):
                    continue
                new_a = home_without if p is None else home_without | {p}
                new_b = batches[b] | {o} if p is None else batches[b] - {p} | {o}
                before = routed(home) + routed(batches[b])
                if routed(new_a) + routed(new_b) < before - _EPS:
                    batches[a], batches[b] = new_a, new_b
                    where[o] = b
                    if p is not None:
                        where[p] = a
                    improved = True
                    break
    return [sorted(g) for g in batches if g]


def plan_batches(
    orders: Iterable[Order],
    capacity: int,
    *,
    layout: Layout,
    method: str = "savings+local",
    router: Router | None = None,
    max_routings: int = 300,
) -> BatchPlan:
    """Group orders into cart-sized batches, each with its route (see the module notes for methods).

    router: routes each batch and judges local search moves; defaults to `best_route`.
    max_routings: bound on extra routings spent by local search, which keeps it fast and
        deterministic (no clock involved).
    Raises OrderTooLargeForCart if an order alone exceeds the capacity.
    """
    todo = list(orders)
    if method not in METHODS:
        raise ValueError(f"unknown batching method {method!r}; choose one of {', '.join(METHODS)}")
    if capacity < 1:
        raise ValueError("cart capacity must be at least one item")
    if len({o.id for o in todo}) != len(todo):
        raise ValueError("order ids must be unique")
    for o in todo:
        if o.size > capacity:
            raise OrderTooLargeForCart(f"order {o.id} has {o.size} items; the cart takes {capacity}")
    lengths = _Lengths(layout, todo, router or best_route)
    sizes = [o.size for o in todo]
    base = method.removesuffix("+local")
    if base == "fcfs":
        groups = _fcfs(sizes, capacity)
    elif base == "seed":
        groups = _seed(lengths, sizes, capacity)
    else:
        groups = _savings(lengths, sizes, capacity)
    if method.endswith("+local"):
        groups = _improve(lengths, sizes, capacity, groups, max_routings)
    groups.sort(key=min)
    batches = tuple(Batch(tuple(todo[i] for i in g), lengths.route(frozenset(g))) for g in groups)
    return BatchPlan(method=method, capacity=capacity, batches=batches)
