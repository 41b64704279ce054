"""Optimal pick routes by Ratliff & Rosenthal's (1983) dynamic programme, for one or more blocks.

Ratliff & Rosenthal (Oper. Res. 31(3)) build a tour subgraph aisle by aisle, left to right. After each
step only a little about the partial subgraph matters for how it can be completed: whether the aisle's
front and back vertices have zero, odd or even degree, and which of them are connected. Partial
subgraphs that agree on that are interchangeable, so the programme keeps the cheapest one per class
and runs in time linear in the number of aisles.

Here the classes are generated rather than tabulated: a state is the degree class of every
cross-aisle vertex on the current aisle plus a labelling of their components. With one block that
yields Ratliff & Rosenthal's seven classes; with middle cross aisles it is the same idea Roodbergen &
de Koster (2001, EJOR 133) used for a warehouse with a middle aisle, and it stays exact. The state
space grows quickly with the number of blocks, so callers use it for up to three.

The optimum is turned into a visit order by walking an Euler circuit of the chosen subgraph from the
depot; the shortest walks between consecutive first visits then add up to the optimum exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from wms.locations.geometry import Layout, PickPoint
from wms.picking.routing.base import Route, check_picks, group_by_location, make_route

_INF = float("inf")
_ZERO, _ODD, _EVEN = 0, 1, 2

# How a stretch of aisle between two cross aisles is covered (Ratliff & Rosenthal, fig. 5).
NONE, TRAVERSE, DOUBLE, FROM_LOW, FROM_HIGH, GAP = range(6)
_COVERAGE = {  # degree added to the low and the high cross-aisle vertex, and whether it joins them
    TRAVERSE: (1, 1, True),
    DOUBLE: (2, 2, True),
    FROM_LOW: (2, 0, False),
    FROM_HIGH: (0, 2, False),
    GAP: (2, 2, False),
}

_State = tuple[tuple[int, ...], tuple[int, ...], bool]  # degree classes, component labels, closed


def _add_degree(cls: int, added: int) -> int:
    if not added:
        return cls
    odd = (cls == _ODD) != (added % 2 == 1)
    return _ODD if odd else _EVEN


def _canonical(labels: list[int]) -> tuple[int, ...]:
    names: dict[int, int] = {}
    return tuple(-1 if lab < 0 else names.setdefault(lab, len(names)) for lab in labels)


class _StateSpace:
    """Equivalence classes of partial tour subgraphs for one number of blocks, interned as ints."""

    def __init__(self, blocks: int) -> None:
        self.blocks = blocks
        self.states: list[_State] = []
        self.ids: dict[_State, int] = {}
        self.empty = self._intern(((_ZERO,) * (blocks + 1), (-1,) * (blocks + 1), False))
        self._vertical: list[dict[int, tuple[tuple[int, int], ...]]] = [{} for _ in range(blocks)]
        self._horizontal: list[dict[int, tuple[tuple[int, int], ...]]] = [{} for _ in range(blocks + 1)]
        self._final: dict[int, bool] = {}

    def _intern(self, state: _State) -> int:
        sid = self.ids.get(state)
        if sid is None:
            sid = self.ids[state] = len(self.states)
            self.states.append(state)
        return sid

    def vertical(self, sid: int, block: int) -> tuple[tuple[int, int], ...]:
        """(coverage, next state) for covering the block's stretch of the current aisle."""
        memo = self._vertical[block]
        moves = memo.get(sid)
        if moves is None:
            moves = memo[sid] = tuple(
                (cover, self._intern(nxt))
                for cover in range(6)
                if (nxt := self._cover(self.states[sid], block, cover)) is not None
            )
        return moves

    def horizontal(self, sid: int, cross: int) -> tuple[tuple[int, int], ...]:
        """(copies of the edge, next state) for joining a cross-aisle vertex to the next aisle."""
        memo = self._horizontal[cross]
        moves = memo.get(sid)
        if moves is None:
            moves = memo[sid] = tuple(
                (copies, self._intern(nxt))
                for copies in range(3)
                if (nxt := self._step(self.states[sid], cross, copies)) is not None
            )
        return moves

    def is_tour(self, sid: int) -> bool:
        ok = self._final.get(sid)
        if ok is None:
            degrees, labels, closed = self.states[sid]
            ok = closed or (_ODD not in degrees and len({lab for lab in labels if lab >= 0}) == 1)
            self._final[sid] = ok
        return ok

    @staticmethod
    def _cover(state: _State, block: int, cover: int) -> _State | None:
        if cover == NONE:
            return state
        degrees, labels, closed = state
        if closed:  # a finished tour cannot grow a second component
            return None
        low_add, high_add, joins = _COVERAGE[cover]
        degs, labs = list(degrees), list(labels)
        fresh = max(labs) + 1
        for vertex, added in ((block, low_add), (block + 1, high_add)):
            if added:
                degs[vertex] = _add_degree(degs[vertex], added)
                if labs[vertex] < 0:
                    labs[vertex], fresh = fresh, fresh + 1
        if joins and labs[block] != labs[block + 1]:
            gone, kept = labs[block + 1], labs[block]
            labs = [kept if lab == gone else lab for lab in labs]
        return (tuple(degs), _canonical(labs), False)

    @staticmethod
    def _step(state: _State, cross: int, copies: int) -> _State | None:
        degrees, labels, closed = state
        cls = degrees[cross]
        if cls == _ZERO:  # a spur from an unused vertex is never part of a shortest tour
            return state if copies == 0 else None
        if (cls == _ODD) != (copies == 1):  # the vertex left behind must end with even degree
            return None
        degs, labs = list(degrees), list(labels)
        if copies:
            degs[cross] = _ODD if copies == 1 else _EVEN
            return (tuple(degs), labels, closed)
        label = labs[cross]
        degs[cross], labs[cross] = _ZERO, -1
        if label in labs:
            return (tuple(degs), _canonical(labs), False)
        if any(lab >= 0 for lab in labs):  # that component is cut off from the rest for good
            return None
        return (tuple(degs), tuple(labs), True)


@lru_cache(maxsize=8)
def _state_space(blocks: int) -> _StateSpace:
    return _StateSpace(blocks)


def _coverage_costs(ys: list[float], low: float, high: float) -> list[float | None]:
    """Length of each coverage of one stretch of aisle holding stops at ys (sorted, distinct)."""
    span = high - low
    if not ys:
        return [0.0, span, 2 * span, None, None, None]
    gap = None
    if len(ys) > 1:
        gap = 2 * (span - max(b - a for a, b in zip(ys, ys[1:], strict=False)))
    return [None, span, 2 * span, 2 * (ys[-1] - low), 2 * (high - ys[0]), gap]


class _Instance:
    """The stops of one pick list laid out by aisle and block, with the programme's stages."""

    def __init__(self, layout: Layout, picks: list[PickPoint]) -> None:
        self.layout = layout
        self.stops = group_by_location(picks)
        self.depot = layout.depot.location
        self.stops.setdefault(self.depot, [])
        cells: dict[tuple[int, int], list[float]] = {}
        for aisle, y in self.stops:
            cells.setdefault((aisle, layout.block_of(y)), []).append(y)
        for ys in cells.values():
            ys.sort()
        self.cells = cells
        aisles = [aisle for aisle, _ in self.stops]
        self.first, self.last = min(aisles), max(aisles)

    def stages(self) -> list[tuple[str, int, int, list[float | None]]]:
        """(kind, aisle, block or cross aisle, cost of each option) in the programme's order."""
        layout, ys, k = self.layout, self.layout.cross_aisle_ys, self.layout.blocks
        out: list[tuple[str, int, int, list[float | None]]] = []
        for aisle in range(self.first, self.last + 1):
            for b in range(k):
                costs = _coverage_costs(self.cells.get((aisle, b), []), ys[b], ys[b + 1])
                out.append(("v", aisle, b, costs))
            if aisle < self.last:
                dx = layout.aisle_xs[aisle + 1] - layout.aisle_xs[aisle]
                for c in range(k + 1):
                    out.append(("h", aisle, c, [0.0, dx, 2 * dx]))
        return out


def _solve(inst: _Instance) -> tuple[float, list[tuple[str, int, int, int]]]:
    """Optimal tour length and the option chosen at every stage."""
    space = _state_space(inst.layout.blocks)
    stages = inst.stages()
    costs: dict[int, float] = {space.empty: 0.0}
    trail: list[dict[int, tuple[int, int]]] = []
    for kind, _, index, option_costs in stages:
        moves = space.vertical if kind == "v" else space.horizontal
        nxt: dict[int, float] = {}
        back: dict[int, tuple[int, int]] = {}
        for sid, cost in costs.items():
            for option, target in moves(sid, index):
                extra = option_costs[option]
                if extra is None:
                    continue
                total = cost + extra
                if total < nxt.get(target, _INF):
                    nxt[target] = total
                    back[target] = (sid, option)
        costs = nxt
        trail.append(back)
    finals = [(cost, sid) for sid, cost in costs.items() if space.is_tour(sid)]
    if not finals:
        raise RuntimeError("no tour found: the state space is inconsistent")
    best, sid = min(finals)
    chosen: list[int] = []
    for back in reversed(trail):
        sid, option = back[sid]
        chosen.append(option)
    chosen.reverse()
    plan = [(kind, aisle, index, opt) for (kind, aisle, index, _), opt in zip(stages, chosen, strict=True)]
    return best, plan


def _euler_order(inst: _Instance, plan: list[tuple[str, int, int, int]]) -> list[tuple[int, float]]:
    """Stops in the order an Euler circuit of the chosen subgraph first reaches them from the depot."""
    vertex: dict[tuple, int] = {}

    def vid(key: tuple) -> int:
        return vertex.setdefault(key, len(vertex))

    edges: list[tuple[int, int]] = []
    for kind, aisle, index, option in plan:
        if kind == "h":
            edges.extend([(vid(("x", aisle, index)), vid(("x", aisle + 1, index)))] * option)
            continue
        chain = [vid(("x", aisle, index))]
        stops = inst.cells.get((aisle, index), [])
        chain += [vid(("s", aisle, y)) for y in stops]
        chain.append(vid(("x", aisle, index + 1)))
        links = list(zip(chain, chain[1:], strict=False))
        if option in (TRAVERSE, DOUBLE):
            edges.extend(links * (1 if option == TRAVERSE else 2))
        elif option == FROM_LOW:
            edges.extend(links[:-1] * 2)
        elif option == FROM_HIGH:
            edges.extend(links[1:] * 2)
        elif option == GAP:
            widths = [b - a for a, b in zip(stops, stops[1:], strict=False)]
            skip = 1 + widths.index(max(widths))  # the same gap _coverage_costs left out
            edges.extend((links[:skip] + links[skip + 1 :]) * 2)
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for e, (u, v) in enumerate(edges):
        adjacency.setdefault(u, []).append((v, e))
        adjacency.setdefault(v, []).append((u, e))
    start = vid(("s", *inst.depot))
    used = [False] * len(edges)
    cursor = dict.fromkeys(adjacency, 0)
    stack, circuit = [start], []
    while stack:  # Hierholzer's algorithm
        v = stack[-1]
        nbrs = adjacency.get(v, [])
        i = cursor.get(v, 0)
        while i < len(nbrs) and used[nbrs[i][1]]:
            i += 1
        cursor[v] = i
        if i == len(nbrs):
            circuit.append(stack.pop())
        else:
            used[nbrs[i][1]] = True
            stack.append(nbrs[i][0])
    if len(circuit) != len(edges) + 1:
        raise RuntimeError("the chosen subgraph is not a single closed tour")
    names = {v: key for key, v in vertex.items()}
    order: list[tuple[int, float]] = []
    seen: set[int] = set()
    for v in reversed(circuit):
        if v not in seen and names[v][0] == "s":
            seen.add(v)
            order.append(names[v][1:])
    return order


def exact_route_length(layout: Layout, picks: Iterable[PickPoint]) -> float:
    """Length of a shortest route (Ratliff & Rosenthal 1983), without building the route."""
    return _solve(_Instance(layout, check_picks(layout, picks)))[0]


def exact_route(layout: Layout, picks: Iterable[PickPoint]) -> Route:
    """A shortest route through all picks from and back to the depot (Ratliff & Rosenthal 1983).

    Exact for any number of blocks; time is linear in the number of aisles, but the number of
    state classes grows fast with blocks (7 for one block, a few hundred for three).
    """
    inst = _Instance(layout, check_picks(layout, picks))
    if len(inst.stops) == 1 and not inst.stops[inst.depot]:
        return make_route(layout, "exact", [])
    _, plan = _solve(inst)
    order = _euler_order(inst, plan)
    return make_route(layout, "exact", [p for loc in order for p in inst.stops[loc]])
