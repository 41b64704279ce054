"""The router's geometry of a warehouse, beyond `create_layout`: aisles, pick points and walking
distances from the depot, and the parameters the bins were generated from.

The geometry comes from `WarehouseLayout.params` (written by `create_layout`). A warehouse whose bins
were generated before the parameters were stored gets it derived from its aisle locations and bins.
The layout as CSV (export and import of bins) is in `layout_csv`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import exists, func, select

from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location

from .geometry import Layout, PickPoint, distance
from .models import WarehouseLayout
from .services import LayoutSpec, spec_from_dict

# --- Geometry ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    """The router's layout plus which layout aisle index each aisle number maps to."""

    layout: Layout
    index_of: dict[int, int]
    aisle_xs: dict[int, float]


_cache: dict[int, tuple[str, Geometry]] = {}


def _geometry_from_params(params: str) -> Geometry | None:
    data = json.loads(params or "{}")
    geo = data.get("geometry")
    if not geo or not geo.get("aisles"):
        return None
    aisles = geo["aisles"]
    depot_index, depot_y = geo["depot"]
    layout = Layout(aisle_xs=tuple(float(x) for _n, x in aisles), aisle_length=float(geo["aisle_length"]),
                    middle_cross_aisles=tuple(float(y) for y in geo.get("middle_cross_aisles", ())),
                    depot=PickPoint(int(depot_index), float(depot_y), "depot"))
    return Geometry(layout, {n: i for i, (n, _x) in enumerate(aisles) if n is not None},
                    {n: float(x) for n, x in aisles if n is not None})


def _derived_geometry(warehouse_id: int) -> Geometry | None:
    """For bins generated before layouts were stored: aisles from the aisle locations, the aisle as
    long as its farthest bin plus the default 2 m cross aisle, the depot at x = 0 on the front."""
    aisles = db.session.execute(select(Location.aisle_no, Location.x).where(
        Location.warehouse_id == warehouse_id, Location.kind == "aisle", Location.aisle_no.is_not(None),
        Location.x.is_not(None)).order_by(Location.x)).all()
    if not aisles:
        return None
    far = db.session.scalar(select(func.max(Location.y)).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.aisle_no.is_not(None))) or 0.0
    pairs: list[list] = [[n, round(float(x), 3)] for n, x in aisles]
    if all(abs(x) > 1e-6 for _n, x in pairs):
        pairs.insert(0, [None, 0.0])
    depot = next(i for i, (_n, x) in enumerate(pairs) if abs(x) <= 1e-6)
    params = json.dumps({"geometry": {"aisles": pairs, "aisle_length": round(float(far) + 2.0, 3),
                                      "middle_cross_aisles": [], "depot": [depot, 0.0]}})
    return _geometry_from_params(params)


def warehouse_geometry(warehouse_id: int) -> Geometry | None:
    """The warehouse's geometry, or None when it has no aisles. Cached per stored parameters."""
    stored = db.session.get(WarehouseLayout, warehouse_id)
    if stored is None:
        return _derived_geometry(warehouse_id)
    cached = _cache.get(warehouse_id)
    if cached is not None and cached[0] == stored.params:
        return cached[1]
    geometry = _geometry_from_params(stored.params)
    if geometry is None:
        return _derived_geometry(warehouse_id)
    _cache[warehouse_id] = (stored.params, geometry)
    return geometry


def layout_geometry(warehouse_id: int) -> Layout:
    """The pick router's geometry of a warehouse. Raises NotFound (code no_layout) without aisles."""
    geometry = warehouse_geometry(warehouse_id)
    if geometry is None:
        raise NotFound("the warehouse has no aisles: create its layout first", code="no_layout")
    return geometry.layout


def pick_point(location: Location, geometry: Geometry | None = None) -> PickPoint | None:
    """Where the picker stands for a bin: (aisle index, y) keyed by the bin code; None for a bin
    outside the aisles (staging, packing, ...) or in a warehouse without a layout. Pass the
    warehouse's geometry when mapping many bins, to look it up once."""
    if location.kind != "bin" or location.aisle_no is None or location.y is None:
        return None
    geometry = geometry or warehouse_geometry(location.warehouse_id)
    if geometry is None or location.aisle_no not in geometry.index_of:
        return None
    y = min(max(float(location.y), 0.0), geometry.layout.aisle_length)
    return PickPoint(geometry.index_of[location.aisle_no], y, location.code)


def walk_from_depot(geometry: Geometry | None, aisle_no: int | None, y: float | None) -> float | None:
    """Walking distance from the depot to a point of an aisle; None when it is not routable."""
    if geometry is None or aisle_no is None or y is None or aisle_no not in geometry.index_of:
        return None
    point = PickPoint(geometry.index_of[aisle_no], min(max(float(y), 0.0), geometry.layout.aisle_length))
    return distance(geometry.layout, geometry.layout.depot, point)


def depot_distance(geometry: Geometry, location: Location) -> float | None:
    """Walking distance from the depot to the bin (one way); None when the bin is not routable."""
    point = pick_point(location)
    return None if point is None else distance(geometry.layout, geometry.layout.depot, point)


def layout_spec(warehouse_id: int) -> LayoutSpec | None:
    """The parameters the warehouse's bins were generated from, when stored."""
    stored = db.session.get(WarehouseLayout, warehouse_id)
    if stored is None:
        return None
    data = json.loads(stored.params or "{}").get("spec")
    return spec_from_dict(data) if data else None


def has_aisles(warehouse_id: int) -> bool:
    return db.session.scalar(select(exists().where(Location.warehouse_id == warehouse_id,
                                                   Location.kind.in_(("zone", "aisle"))))) or False
