"""Pick routing as a travelling-salesman problem on the aisle grid, solved by local search.

For layouts whose block count puts the exact programme out of reach, the stops and the depot become
the cities of a TSP whose distances are shortest walks on the aisle grid. Tours are built two ways
(Clarke & Wright's savings with the depot as hub, and the combined heuristic's order) and each is
improved by 2-opt and Or-opt moves restricted to near neighbours until neither finds a gain or the
round budget runs out. Everything is deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from wms.locations.geometry import Layout, PickPoint, distance
from wms.picking.routing.base import Route, check_picks, group_by_location, make_route
from wms.picking.routing.heuristics import combined_route

_EPS = 1e-9
_Matrix = list[list[float]]


def _matrix(layout: Layout, points: list[PickPoint]) -> _Matrix:
    n = len(points)
    d = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row, p = d[i], points[i]
        for j in range(i + 1, n):
            row[j] = d[j][i] = distance(layout, p, points[j])
    return d


def _savings_tour(d: _Matrix) -> list[int]:
    """Clarke & Wright (1964) savings with the depot (city 0) as hub, merged into a single tour."""
    n = len(d)
    if n <= 3:
        return list(range(n))
    savings = sorted(
        ((d[0][i] + d[0][j] - d[i][j], i, j) for i in range(1, n) for j in range(i + 1, n)),
        reverse=True,
    )
    ends: dict[int, int] = {i: i for i in range(1, n)}  # path end -> the other end of its path
    links: dict[int, list[int]] = {i: [] for i in range(1, n)}
    joined = 0
    for _, i, j in savings:
        if i not in ends or j not in ends or ends[i] == j:
            continue
        far_i, far_j = ends.pop(i), ends.pop(j)
        ends[far_i], ends[far_j] = far_j, far_i
        links[i].append(j)
        links[j].append(i)
        joined += 1
        if joined == n - 2:
            break
    start = min(ends)
    tour, prev, city = [0, start], 0, start
    while len(tour) < n:
        nxt = next(c for c in links[city] if c != prev)
        tour.append(nxt)
        prev, city = city, nxt
    return tour


def _neighbours(d: _Matrix, k: int) -> list[list[int]]:
    n = len(d)
    return [sorted((j for j in range(n) if j != i), key=d[i].__getitem__)[:k] for i in range(n)]


def _two_opt(tour: list[int], d: _Matrix, near: list[list[int]]) -> bool:
    """One pass of neighbour-list 2-opt over every city; True if the tour got shorter."""
    n = len(tour)
    pos = [0] * n
    for i, c in enumerate(tour):
        pos[c] = i
    improved = False
    for a in range(n):
        for step in (1, -1):  # the edge to a's successor, then the edge to its predecessor
            i = pos[a]
            b = tour[(i + step) % n]
            dab = d[a][b]
            for c in near[a]:
                dac = d[a][c]
                if dac >= dab - _EPS:
                    break
                j = pos[c]
                e = tour[(j + step) % n]
                if c == b or e == a:
                    continue
                if dac + d[b][e] - dab - d[c][e] < -_EPS:
                    lo, hi = (i, j) if i < j else (j, i)
                    if step == 1:
                        tour[lo + 1 : hi + 1] = tour[lo + 1 : hi + 1][::-1]
                    else:
                        tour[lo:hi] = tour[lo:hi][::-1]
                    for k in range(lo, hi + 1):
                        pos[tour[k]] = k
                    improved = True
                    break
    return improved


def _or_opt(tour: list[int], d: _Matrix, near: list[list[int]]) -> bool:
    """One pass moving chains of 1-3 cities next to a near neighbour of either end, either way round.

    A chain end only goes next to a city closer to it than the chain's removal saves: the usual
    neighbour-list gate, which keeps the pass close to linear.
    """
    n = len(tour)
    pos = [0] * n
    for i, c in enumerate(tour):
        pos[c] = i
    improved = False
    for length in (1, 2, 3):
        if n < length + 3:
            break
        i = 0
        while i < n:
            seg = [tour[(i + k) % n] for k in range(length)]
            p, q = tour[(i - 1) % n], tour[(i + length) % n]
            first, last = seg[0], seg[-1]
            gain = d[p][first] + d[last][q] - d[p][q]
            best, where = _EPS, None
            inside = set(seg)
            for end, other in ((first, last), (last, first)):
                for c in near[end]:
                    if d[end][c] >= gain:
                        break
                    if c in inside:
                        continue
                    j = pos[c]
                    after, before = tour[(j + 1) % n], tour[(j - 1) % n]
                    if after not in inside:  # c, end ... other, after
                        saved = gain - (d[c][end] + d[other][after] - d[c][after])
                        if saved > best:
                            best, where = saved, (c, end == last)
                    if before not in inside:  # before, other ... end, c
                        saved = gain - (d[before][other] + d[end][c] - d[before][c])
                        if saved > best:
                            best, where = saved, (before, end == first)
            if where is None:
                i += 1
                continue
            u, flip = where
            rest = [c for c in tour if c not in inside]
            at = rest.index(u) + 1
            rest[at:at] = seg[::-1] if flip else seg
            tour[:] = rest
            for k, c in enumerate(tour):
                pos[c] = k
            improved = True
    return improved


def _improve(tour: list[int], d: _Matrix, near: list[list[int]], max_rounds: int) -> list[int]:
    for _ in range(max_rounds):
        changed = _two_opt(tour, d, near)
        changed = _or_opt(tour, d, near) or changed
        if not changed:
            break
    return tour


def _tour_length(tour: list[int], d: _Matrix) -> float:
    return sum(d[a][b] for a, b in zip(tour, tour[1:] + tour[:1], strict=True))


def _kick(tour: list[int], rng: random.Random) -> list[int]:
    """Double-bridge move: a perturbation 2-opt and Or-opt cannot undo in one step."""
    a, b, c = sorted(rng.sample(range(1, len(tour)), 3))
    return tour[:a] + tour[b:c] + tour[a:b] + tour[c:]


def local_search_route(
    layout: Layout,
    picks: Iterable[PickPoint],
    *,
    neighbours: int = 10,
    max_rounds: int = 50,
    kicks: int = 8,
    seed: int = 0,
) -> Route:
    """A short route by savings construction plus 2-opt and Or-opt local search (any layout).

    Starts from Clarke & Wright's savings tour and from the combined heuristic (Roodbergen & de
    Koster 2001), improves both and keeps the shorter, then tries `kicks` double-bridge
    perturbations of the best tour, each improved again and kept if shorter (iterated local search).
    Work is bounded by `max_rounds` passes per improvement; `seed` makes the kicks repeatable.
    """
    todo = check_picks(layout, picks)
    stops = group_by_location(todo)
    depot = layout.depot
    at_depot = stops.pop(depot.location, [])
    cities = [depot, *(ps[0] for ps in stops.values())]
    if len(cities) <= 3:
        return make_route(layout, "local-search", [*at_depot, *(p for ps in stops.values() for p in ps)])
    d = _matrix(layout, cities)
    near = _neighbours(d, neighbours)
    index = {c.location: i for i, c in enumerate(cities)}
    seeded = list(dict.fromkeys([0, *(index[p.location] for p in combined_route(layout, todo).picks)]))
    tours = [_improve(t, d, near, max_rounds) for t in (_savings_tour(d), seeded)]
    best = min(tours, key=lambda t: _tour_length(t, d))
    best_length = _tour_length(best, d)
    rng = random.Random(seed)
    for _ in range(kicks if len(cities) >= 8 else 0):
        tried = _improve(_kick(best, rng), d, near, max_rounds)
        length = _tour_length(tried, d)
        if length < best_length - _EPS:
            best, best_length = tried, length
    start = best.index(0)
    best = best[start:] + best[:start]
    ordered = [p for i in best[1:] for p in stops[cities[i].location]]
    return make_route(layout, "local-search", [*at_depot, *ordered])
