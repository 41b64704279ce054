"""routing.exact and routing.vs_ortools: pick route length and time (see BENCHMARKS.md).

routing.exact, single-block Henn & Wäscher layout: the exact programme against brute force over
every visit order (8 picks), and its mean length against S-shape, largest gap and combined at
10/20/30/60 picks, with its time against S-shape's.

routing.vs_ortools, the same layout with a middle cross aisle, 50 picks: best_route (exact there too)
and the local-search heuristic against OR-Tools' routing solver with default search parameters, fed
the grid distance matrix (in whole millimetres) as its documentation shows: through a Python transit
callback, and through RegisterTransitMatrix, the faster way in. OR-Tools' time includes building
that matrix, as using it would; its length is measured on our grid like ours.
"""

from __future__ import annotations

from itertools import permutations

from bench.common import BenchResult, Warehouse, interleaved, main_for
from wms.locations.geometry import Layout, PickPoint, distance
from wms.picking.routing import (
    best_route,
    combined_route,
    exact_route,
    largest_gap_route,
    local_search_route,
    route_length,
    s_shape_route,
)
from wms.picking.routing.base import group_by_location

SEED = 1
_HEURISTICS = (("s-shape", s_shape_route), ("largest-gap", largest_gap_route), ("combined", combined_route))


def brute_force_length(layout: Layout, picks: list[PickPoint]) -> float:
    """Shortest tour by trying every order of the distinct pick locations."""
    points = [layout.depot, *(ps[0] for ps in group_by_location(picks).values())]
    d = [[distance(layout, p, q) for q in points] for p in points]
    best = float("inf")
    for order in permutations(range(1, len(points))):
        if order and order[0] > order[-1]:
            continue  # a tour and its reverse are equally long
        tour = (0, *order, 0)
        best = min(best, sum(d[a][b] for a, b in zip(tour, tour[1:], strict=False)))
    return best


def bench_exact(quick: bool) -> list[BenchResult]:
    wh = Warehouse(SEED)
    layout, count = wh.layout, 20 if quick else 100
    results = []
    lists = wh.pick_lists(SEED, 8, count)
    worst = 0.0
    for picks in lists:
        route = exact_route(layout, picks)
        assert abs(route.length - route_length(layout, route.visits)) < 1e-9
        worst = max(worst, abs(route.length - brute_force_length(layout, picks)))
    params = {"picks": 8, "lists": count, "seed": SEED}
    results.append(BenchResult("routing.exact", "max_abs_diff", worst, "brute-force", params))
    print(f"  exact vs brute force, 8 picks x {count}: max |difference| = {worst:.3g}")
    for size in (10, 20, 30, 60):
        lists = wh.pick_lists(SEED, size, count)
        params = {"picks": size, "lists": count, "seed": SEED}
        exact_total = sum(exact_route(layout, p).length for p in lists)
        for name, router in _HEURISTICS:
            ratio = exact_total / sum(router(layout, p).length for p in lists)
            results.append(BenchResult("routing.exact", "length_ratio", ratio, name, params))
        timing = interleaved(
            lambda lists=lists: [exact_route(layout, p) for p in lists],
            lambda lists=lists: [s_shape_route(layout, p) for p in lists],
        )
        results.append(BenchResult("routing.exact", "time_ratio", timing.ratio, "s-shape", params))
        ms = 1000 * timing.a / count
        results.append(BenchResult("routing.exact", "ms_per_route", ms, None, params))
        print(f"  {size} picks: exact {ms:.3f} ms a route, {timing.ratio:.1f} x S-shape's time")
    return results


def _ortools_route(layout: Layout, picks: list[PickPoint], matrix_api: bool) -> float:
    from ortools.constraint_solver import pywrapcp

    stops = group_by_location(picks)
    cities = [layout.depot, *(ps[0] for ps in stops.values())]
    d = [[round(1000 * distance(layout, p, q)) for q in cities] for p in cities]
    manager = pywrapcp.RoutingIndexManager(len(cities), 1, 0)
    model = pywrapcp.RoutingModel(manager)
    if matrix_api:
        transit = model.RegisterTransitMatrix(d)
    else:

        def cost(i: int, j: int) -> int:
            return d[manager.IndexToNode(i)][manager.IndexToNode(j)]

        transit = model.RegisterTransitCallback(cost)
    model.SetArcCostEvaluatorOfAllVehicles(transit)
    solution = model.SolveWithParameters(pywrapcp.DefaultRoutingSearchParameters())
    index, order = model.Start(0), []
    while not model.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    visits = [layout.depot, *(p for i in order[1:] for p in stops[cities[i].location]), layout.depot]
    return route_length(layout, visits)


def bench_vs_ortools(quick: bool) -> list[BenchResult]:
    try:
        import ortools
        from ortools.constraint_solver import pywrapcp  # noqa: F401
    except ImportError:
        print("  SKIP routing.vs_ortools: ortools is not installed (pip install -r requirements-bench.txt)")
        return []
    wh = Warehouse(SEED, blocks=2)
    layout, count = wh.layout, 5 if quick else 30
    lists = wh.pick_lists(SEED, 50, count)
    lengths = {
        "ortools": sum(_ortools_route(layout, p, False) for p in lists),
        "ortools-matrix": sum(_ortools_route(layout, p, True) for p in lists),
    }
    ours = {"best_route": best_route, "local-search": local_search_route}
    for name, router in ours.items():
        lengths[name] = sum(router(layout, p).length for p in lists)
    results = []
    base = {"picks": 50, "lists": count, "blocks": 2, "seed": SEED, "ortools": ortools.__version__}
    for name, baseline in (
        ("best_route", "ortools"),
        ("best_route", "ortools-matrix"),
        ("local-search", "ortools"),
        ("local-search", "ortools-matrix"),
    ):
        router = ours[name]
        timing = interleaved(
            lambda router=router: [router(layout, p) for p in lists],
            lambda matrix=baseline.endswith("matrix"): [_ortools_route(layout, p, matrix) for p in lists],
        )
        params = {"method": name, **base}
        ratio = lengths[name] / lengths[baseline]
        results.append(BenchResult("routing.vs_ortools", "length_ratio", ratio, baseline, params))
        results.append(BenchResult("routing.vs_ortools", "time_ratio", timing.ratio, baseline, params))
        print(
            f"  {name} vs {baseline}: length x{ratio:.4f}, time x{timing.ratio:.3f} "
            f"({1000 * timing.a / count:.2f} ms vs {1000 * timing.b / count:.2f} ms a route)"
        )
    return results


def run(quick: bool) -> list[BenchResult]:
    return bench_exact(quick) + bench_vs_ortools(quick)


if __name__ == "__main__":
    main_for(run)
