"""Warehouse layout: zones > aisles > bays > levels > bins, with floor coordinates for the router."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from erp_core.db import atomic
from erp_core.errors import Conflict, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.inventory.services import warehouse_root


@dataclass(frozen=True)
class ZoneSpec:
    """One zone of parallel aisles. Bays run along each aisle on both sides (odd left, even right)."""

    code: str
    aisles: int
    bays_per_aisle: int
    levels: int
    bin_type: str = "pick"
    reserve_levels_from: int | None = None  # levels >= this one are reserve (overstock) bins
    name: str = ""


@dataclass(frozen=True)
class LayoutSpec:
    zones: tuple[ZoneSpec, ...]
    aisle_spacing_m: float = 3.0   # centre to centre: aisle width plus the two racks
    bay_width_m: float = 1.0
    front_margin_m: float = 2.0    # front cross aisle, where the depot is
    depot: tuple[float, float] = (0.0, 0.0)


def bin_code(zone: str, aisle: int, bay: int, level: int) -> str:
    return f"{zone}{aisle:02d}-{bay:02d}-{level}"


def create_layout(warehouse_id: int, spec: LayoutSpec) -> int:
    """Create the location tree of a warehouse from a few parameters; returns the number of bins.

    Aisles of all zones stand side by side from x = aisle_spacing/2; a bay's bins share the y of the
    bay's centre along the aisle. Raises Conflict when the warehouse already has bins.
    """
    if not spec.zones:
        raise ValidationFailed("a layout needs at least one zone", code="no_zones")
    with atomic():
        wh = db.session.get(Warehouse, warehouse_id)
        existing = db.session.scalar(select(func.count(Location.id)).filter_by(warehouse_id=wh.id, kind="bin"))
        if existing:
            raise Conflict(f"warehouse {wh.code} already has {existing} bins", code="layout_exists")
        root = warehouse_root(wh.id)
        rows: list[dict] = []
        aisle_index = 0
        for zone in spec.zones:
            zone_loc = Location(warehouse_id=wh.id, parent_id=root.id, code=zone.code, name=zone.name or zone.code,
                                usage="view", kind="zone")
            db.session.add(zone_loc)
            db.session.flush()
            for a in range(1, zone.aisles + 1):
                aisle_index += 1
                x = round((aisle_index - 0.5) * spec.aisle_spacing_m, 3)
                aisle_loc = Location(warehouse_id=wh.id, parent_id=zone_loc.id, code=f"{zone.code}{a:02d}",
                                     usage="view", kind="aisle", x=x, aisle_no=aisle_index)
                db.session.add(aisle_loc)
                db.session.flush()
                for b in range(1, zone.bays_per_aisle + 1):
                    # Bays face each other in pairs across the aisle: 1|2, 3|4, ...
                    y = round(spec.front_margin_m + ((b + 1) // 2 - 0.5) * spec.bay_width_m, 3)
                    for lv in range(1, zone.levels + 1):
                        code = bin_code(zone.code, a, b, lv)
                        reserve = zone.reserve_levels_from is not None and lv >= zone.reserve_levels_from
                        rows.append({"warehouse_id": wh.id, "parent_id": aisle_loc.id, "code": code,
                                     "barcode": f"{wh.code}-{code}", "name": code, "usage": "internal",
                                     "kind": "bin", "bin_type": "reserve" if reserve else zone.bin_type,
                                     "x": x, "y": y, "aisle_no": aisle_index, "capacity": 200 if reserve else 60,
                                     "active": True})
        db.session.execute(Location.__table__.insert(), rows)
    return len(rows)


def create_bin(warehouse_id: int, code: str, bin_type: str, *, x: float | None = None,
               y: float | None = None) -> Location:
    """A single special bin (staging, packing, returns, damaged) directly under the warehouse."""
    with atomic():
        wh = db.session.get(Warehouse, warehouse_id)
        loc = Location(warehouse_id=wh.id, parent_id=warehouse_root(wh.id).id, code=code,
                       barcode=f"{wh.code}-{code}", name=code, usage="internal", kind="bin", bin_type=bin_type,
                       x=x, y=y)
        db.session.add(loc)
        db.session.flush()
    return loc
