"""The route value shared by every routing method, and the checker its length must agree with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wms.locations.geometry import Layout, PickPoint, distance


@dataclass(frozen=True)
class Route:
    """A picker's tour from the depot through every pick and back.

    visits: the depot, then every pick point (each once) in the order picked, then the depot.
    path: the walk itself as a list of points joined by shortest walks: the visits plus the aisle ends
        where a heuristic makes the picker walk further than the shortest way to the next pick (an
        S-shape picker walks an aisle to its end even when the next pick is behind them).
    length: route_length(layout, path), never less than route_length(layout, visits).
    """

    method: str
    visits: tuple[PickPoint, ...]
    path: tuple[PickPoint, ...]
    length: float

    @property
    def picks(self) -> tuple[PickPoint, ...]:
        return self.visits[1:-1]


def route_length(layout: Layout, points: Sequence[PickPoint]) -> float:
    """Sum of the shortest walks between consecutive points: the checker every route agrees with."""
    return sum(distance(layout, a, b) for a, b in zip(points, points[1:], strict=False))


def make_route(
    layout: Layout,
    method: str,
    picks: Iterable[PickPoint],
    path: Sequence[PickPoint] | None = None,
) -> Route:
    """Build a Route whose length is, by construction, the checker's length of its path."""
    depot = layout.depot
    visits = (depot, *picks, depot)
    walk = visits if path is None else tuple(path)
    return Route(method=method, visits=visits, path=walk, length=route_length(layout, walk))


def check_picks(layout: Layout, picks: Iterable[PickPoint]) -> list[PickPoint]:
    """The picks as a list, each checked to lie in an aisle of the layout."""
    checked = list(picks)
    for p in checked:
        layout.check(p)
    return checked


def group_by_location(picks: Iterable[PickPoint]) -> dict[tuple[int, float], list[PickPoint]]:
    """Picks at one spot are picked in one stop; input order is kept within a stop."""
    stops: dict[tuple[int, float], list[PickPoint]] = {}
    for p in picks:
        stops.setdefault(p.location, []).append(p)
    return stops
