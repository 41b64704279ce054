"""Pick-path routing: the public entry points.

A route starts at the depot, visits every pick and returns; see `Route`. The methods:

- `exact_route`: shortest possible (Ratliff & Rosenthal 1983), any layout up to a few blocks.
- `s_shape_route`, `largest_gap_route`, `combined_route`: the classic heuristics as compared by
  Roodbergen & de Koster (2001); what pickers can follow without a handheld.
- `local_search_route`: savings + 2-opt/Or-opt on the grid distances, for any number of blocks.
- `best_route`: what the warehouse should use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wms.locations.geometry import Layout, PickPoint
from wms.picking.routing.base import Route, route_length
from wms.picking.routing.exact import exact_route, exact_route_length
from wms.picking.routing.heuristics import (
    combined_length,
    combined_route,
    extents_of,
    largest_gap_route,
    merge_extents,
    s_shape_route,
)
from wms.picking.routing.tsp import local_search_route

Router = Callable[[Layout, Iterable[PickPoint]], Route]

# Beyond this many blocks the exact programme's state classes outgrow its speed advantage.
MAX_EXACT_BLOCKS = 3

ROUTERS: dict[str, Router] = {
    "s-shape": s_shape_route,
    "largest-gap": largest_gap_route,
    "combined": combined_route,
    "local-search": local_search_route,
    "exact": exact_route,
}


def best_route(layout: Layout, picks: Iterable[PickPoint]) -> Route:
    """The shortest route we can find quickly.

    Up to MAX_EXACT_BLOCKS blocks (a single block, or one or two middle cross aisles) this is the
    exact optimum of Ratliff & Rosenthal's programme, in well under a millisecond for ordinary pick
    lists. With more blocks it is the shorter of the combined heuristic and the local search.
    """
    todo = list(picks)
    if layout.blocks <= MAX_EXACT_BLOCKS:
        return exact_route(layout, todo)
    candidates = [combined_route(layout, todo), local_search_route(layout, todo)]
    return min(candidates, key=lambda r: r.length)


__all__ = [
    "MAX_EXACT_BLOCKS",
    "ROUTERS",
    "Route",
    "Router",
    "best_route",
    "combined_length",
    "combined_route",
    "exact_route",
    "exact_route_length",
    "extents_of",
    "largest_gap_route",
    "local_search_route",
    "merge_extents",
    "route_length",
    "s_shape_route",
]
