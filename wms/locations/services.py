"""Warehouse layout: zones > aisles > bays > levels > bins, with floor coordinates for the router.

Coordinates (metres): aisles of all zones stand side by side, aisle i (1-based, across zones) with its
centre line at x = (i - 0.5) * aisle_spacing. The front cross aisle's centre line is y = 0 (the depot
stands on it); bays face each other in pairs across an aisle (odd bay left, even bay right) and a
pair's bins share the y of the pair's centre. Middle cross aisles split every aisle into blocks at
the same ys (full width); the bays after one skip its width. Every aisle is modelled as long as the
longest zone's (a shorter zone leaves empty floor before the back cross aisle).

The pure functions here turn a `LayoutSpec` into coordinates and the router's geometry; `create_layout`
writes the bins and stores the spec and geometry in `WarehouseLayout.params` (JSON). The bin services
(`create_bin`, `add_special_bin`, `update_bin`) keep codes and barcodes fixed once stock has moved.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from erp_core.db import atomic
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import BIN_TYPES, Location, Quant, StockMove, Warehouse
from erp_core.inventory.services import warehouse_root

from .models import WarehouseLayout

PARAMS_VERSION = 1
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")  # no leading = + - @: safe in CSV
ZONE_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")
AISLE_BIN_TYPES = ("pick", "reserve")
SPECIAL_BIN_TYPES = ("staging", "packing", "returns", "damaged", "put_wall", "clearance")
EDITABLE_BIN_TYPES = tuple(t for t in BIN_TYPES if t != "tote")  # totes/carts belong to picking
MAX_CAPACITY = 1_000_000
_POSITION = re.compile(r"^(?P<aisle>.+)-(?P<bay>\d{1,3})-(?P<level>\d{1,2})$")
MAX_LEVELS = 12


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

    @property
    def bay_pairs(self) -> int:
        return (self.bays_per_aisle + 1) // 2


@dataclass(frozen=True)
class LayoutSpec:
    zones: tuple[ZoneSpec, ...]
    aisle_spacing_m: float = 3.0   # centre to centre: aisle width plus the two racks
    bay_width_m: float = 1.0
    front_margin_m: float = 2.0    # front cross aisle, where the depot is
    depot: tuple[float, float] = (0.0, 0.0)  # (x, y) on the front cross aisle: y must be 0
    aisle_width_m: float = 1.5     # clear walking width between the racks (the plan draws racks beside it)
    cross_aisles: int = 0          # middle cross aisles, splitting every aisle into blocks
    cross_aisle_width_m: float = 2.0
    back_margin_m: float | None = None  # back cross aisle; None = as the front one

    @property
    def back_margin(self) -> float:
        return self.front_margin_m if self.back_margin_m is None else self.back_margin_m

    @property
    def aisle_count(self) -> int:
        return sum(z.aisles for z in self.zones)

    @property
    def max_bay_pairs(self) -> int:
        return max(z.bay_pairs for z in self.zones)


def bin_code(zone: str, aisle: int, bay: int, level: int) -> str:
    return f"{zone}{aisle:02d}-{bay:02d}-{level}"


# --- Pure geometry of a spec --------------------------------------------------------------------------

def validate_spec(spec: LayoutSpec) -> None:
    """Raise ValidationFailed (with a stable code) when the spec cannot make a sound layout."""
    if not spec.zones:
        raise ValidationFailed("a layout needs at least one zone", code="no_zones")
    codes = [z.code for z in spec.zones]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("zone codes must differ", code="duplicate_zone")
    for z in spec.zones:
        if not ZONE_CODE_PATTERN.match(z.code):
            raise ValidationFailed(f"zone code {z.code!r}: 1-4 capital letters or digits, starting with a letter",
                                   code="bad_zone_code", zone=z.code)
        if not (1 <= z.aisles <= 99 and 1 <= z.bays_per_aisle <= 99 and 1 <= z.levels <= MAX_LEVELS):
            raise ValidationFailed(f"zone {z.code}: 1-99 aisles, 1-99 bays, 1-{MAX_LEVELS} levels",
                                   code="bad_zone_size", zone=z.code, max_levels=MAX_LEVELS)
        if z.reserve_levels_from is not None and not 1 <= z.reserve_levels_from <= z.levels:
            raise ValidationFailed(f"zone {z.code}: reserve levels must start at a level of the zone",
                                   code="bad_reserve_level", zone=z.code, levels=z.levels)
        if z.bin_type not in AISLE_BIN_TYPES:
            raise ValidationFailed(f"zone {z.code}: bin type must be pick or reserve", code="bad_bin_type",
                                   zone=z.code)
    if not 0 < spec.aisle_width_m < spec.aisle_spacing_m:
        raise ValidationFailed("the aisle width must be positive and less than the aisle spacing",
                               code="bad_aisle_width")
    if spec.bay_width_m <= 0 or spec.front_margin_m <= 0 or spec.back_margin <= 0:
        raise ValidationFailed("bay width and cross-aisle margins must be positive", code="bad_dimension")
    if spec.cross_aisles < 0 or (spec.cross_aisles and spec.cross_aisle_width_m <= 0):
        raise ValidationFailed("cross aisles need a positive width", code="bad_cross_aisles")
    if spec.cross_aisles >= spec.max_bay_pairs:
        raise ValidationFailed("more cross aisles than bay pairs to split", code="too_many_cross_aisles")
    x, y = spec.depot
    if y != 0 or not 0 <= x <= floor_width(spec):
        raise ValidationFailed("the depot stands on the front cross aisle, within the floor's width",
                               code="bad_depot")


def floor_width(spec: LayoutSpec) -> float:
    return spec.aisle_count * spec.aisle_spacing_m


def aisle_x(spec: LayoutSpec, aisle_no: int) -> float:
    """x of the centre line of aisle number `aisle_no` (1-based, counted across zones)."""
    return round((aisle_no - 0.5) * spec.aisle_spacing_m, 3)


def cross_aisle_bounds(spec: LayoutSpec) -> tuple[int, ...]:
    """Bay-pair indexes (0-based) before which each middle cross aisle lies, evenly spread."""
    n, pairs = spec.cross_aisles, spec.max_bay_pairs
    return tuple(int(k * pairs / (n + 1) + 0.5) for k in range(1, n + 1))  # half up: 5 pairs split 3 | 2


def bay_y(spec: LayoutSpec, bay: int) -> float:
    """y of a bay's bins: the centre of its pair, pushed back by the cross aisles in front of it."""
    pair = (bay + 1) // 2 - 1
    skipped = sum(1 for b in cross_aisle_bounds(spec) if b <= pair)
    return round(spec.front_margin_m + (pair + 0.5) * spec.bay_width_m + skipped * spec.cross_aisle_width_m, 3)


def middle_cross_aisle_ys(spec: LayoutSpec) -> tuple[float, ...]:
    return tuple(round(spec.front_margin_m + b * spec.bay_width_m + k * spec.cross_aisle_width_m
                       + spec.cross_aisle_width_m / 2, 3)
                 for k, b in enumerate(cross_aisle_bounds(spec)))


def aisle_length(spec: LayoutSpec) -> float:
    """y of the back cross aisle's centre line."""
    return round(spec.front_margin_m + spec.max_bay_pairs * spec.bay_width_m
                 + spec.cross_aisles * spec.cross_aisle_width_m + spec.back_margin, 3)


def spec_geometry(spec: LayoutSpec) -> dict:
    """The router's geometry as stored JSON: aisles as [aisle_no, x] in x order, a depot not standing
    at an aisle gets an aisle of its own ([null, x]: no bins, it only joins the cross aisles there)."""
    aisles: list[list] = [[n, aisle_x(spec, n)] for n in range(1, spec.aisle_count + 1)]
    depot_x = round(spec.depot[0], 3)
    at = next((i for i, (_n, x) in enumerate(aisles) if abs(x - depot_x) < 1e-6), None)
    if at is None:
        aisles.append([None, depot_x])
        aisles.sort(key=lambda a: a[1])
        at = next(i for i, (n, _x) in enumerate(aisles) if n is None)
    return {"aisles": aisles, "aisle_length": aisle_length(spec),
            "middle_cross_aisles": list(middle_cross_aisle_ys(spec)), "depot": [at, 0.0]}


def spec_to_dict(spec: LayoutSpec) -> dict:
    data = asdict(spec)
    data["zones"] = [asdict(z) for z in spec.zones]
    data["depot"] = list(spec.depot)
    return data


def spec_from_dict(data: dict) -> LayoutSpec:
    fields = {k: v for k, v in data.items() if k in LayoutSpec.__dataclass_fields__}
    fields["zones"] = tuple(ZoneSpec(**z) for z in data.get("zones", ()))
    fields["depot"] = tuple(data.get("depot", (0.0, 0.0)))
    return LayoutSpec(**fields)


def layout_params(spec: LayoutSpec) -> str:
    """What `WarehouseLayout.params` holds: the spec (for the forms) and the derived geometry."""
    return json.dumps({"version": PARAMS_VERSION, "spec": spec_to_dict(spec), "geometry": spec_geometry(spec)},
                      ensure_ascii=False)


# --- Use-cases --------------------------------------------------------------------------------------

def create_layout(warehouse_id: int, spec: LayoutSpec) -> int:
    """Create the location tree of a warehouse from a few parameters; returns the number of bins.

    Stores the spec and the router's geometry in `WarehouseLayout`. Raises ValidationFailed for an
    unsound spec and Conflict when the warehouse already has a generated layout (zones or aisle bins)
    or a special bin whose code a generated bin would take.
    """
    validate_spec(spec)
    with atomic():
        wh = db.session.get(Warehouse, warehouse_id)
        if wh is None:
            raise NotFound("no such warehouse")
        existing = db.session.scalar(select(func.count(Location.id)).where(
            Location.warehouse_id == wh.id, Location.kind.in_(("zone", "aisle"))))
        existing += db.session.scalar(select(func.count(Location.id)).where(
            Location.warehouse_id == wh.id, Location.kind == "bin", Location.aisle_no.is_not(None)))
        if existing:
            raise Conflict(f"warehouse {wh.code} already has a layout", code="layout_exists")
        taken = set(db.session.scalars(select(Location.code).filter_by(warehouse_id=wh.id)))
        wanted = {z.code for z in spec.zones} | {f"{z.code}{a:02d}" for z in spec.zones for a in range(1, z.aisles + 1)}
        wanted |= {bin_code(z.code, a, b, lv) for z in spec.zones for a in range(1, z.aisles + 1)
                   for b in range(1, z.bays_per_aisle + 1) for lv in range(1, z.levels + 1)}
        if clash := taken & wanted:
            raise Conflict(f"codes already used in {wh.code}: {', '.join(sorted(clash)[:5])}", code="code_taken",
                           warehouse=wh.code, codes=sorted(clash)[:5])
        try:
            rows = _insert_layout(wh, spec)
        except IntegrityError as error:  # a concurrent layout, or a generated barcode taken elsewhere
            raise Conflict(f"the layout of {wh.code} could not be stored: {error.orig}",
                           code="layout_exists") from error
    return rows


def _insert_layout(wh: Warehouse, spec: LayoutSpec) -> int:
    root = warehouse_root(wh.id)
    rows: list[dict] = []
    aisle_no = 0
    for zone in spec.zones:
        zone_loc = Location(warehouse_id=wh.id, parent_id=root.id, code=zone.code, name=zone.name or zone.code,
                            usage="view", kind="zone")
        db.session.add(zone_loc)
        db.session.flush()
        for a in range(1, zone.aisles + 1):
            aisle_no += 1
            x = aisle_x(spec, aisle_no)
            aisle_loc = Location(warehouse_id=wh.id, parent_id=zone_loc.id, code=f"{zone.code}{a:02d}",
                                 usage="view", kind="aisle", x=x, aisle_no=aisle_no)
            db.session.add(aisle_loc)
            db.session.flush()
            for b in range(1, zone.bays_per_aisle + 1):
                y = bay_y(spec, b)
                for lv in range(1, zone.levels + 1):
                    code = bin_code(zone.code, a, b, lv)
                    reserve = zone.reserve_levels_from is not None and lv >= zone.reserve_levels_from
                    rows.append({"warehouse_id": wh.id, "parent_id": aisle_loc.id, "code": code,
                                 "barcode": f"{wh.code}-{code}", "name": code, "usage": "internal",
                                 "kind": "bin", "bin_type": "reserve" if reserve else zone.bin_type,
                                 "x": x, "y": y, "aisle_no": aisle_no, "capacity": 200 if reserve else 60,
                                 "active": True})
    db.session.execute(Location.__table__.insert(), rows)
    stored = db.session.get(WarehouseLayout, wh.id)
    if stored is None:
        db.session.add(WarehouseLayout(warehouse_id=wh.id, params=layout_params(spec)))
    else:
        stored.params = layout_params(spec)
    db.session.flush()
    return len(rows)


def create_bin(warehouse_id: int, code: str, bin_type: str, *, x: float | None = None,
               y: float | None = None, capacity: int | None = None) -> Location:
    """A single special bin (staging, packing, returns, damaged, put wall) directly under the warehouse."""
    if bin_type not in BIN_TYPES:
        raise ValidationFailed(f"unknown bin type {bin_type}", code="bad_bin_type")
    with atomic():
        wh = db.session.get(Warehouse, warehouse_id)
        if wh is None:
            raise NotFound("no such warehouse")
        if db.session.scalar(select(Location.id).filter_by(warehouse_id=wh.id, code=code)) is not None:
            raise Conflict(f"{wh.code} already has a location {code}", code="code_taken", bin=code,
                           warehouse=wh.code)
        barcode = f"{wh.code}-{code}"
        if db.session.scalar(select(Location.id).filter_by(barcode=barcode)) is not None:
            raise Conflict(f"barcode {barcode} is taken", code="barcode_taken", barcode=barcode)
        loc = Location(warehouse_id=wh.id, parent_id=warehouse_root(wh.id).id, code=code,
                       barcode=barcode, name=code, usage="internal", kind="bin", bin_type=bin_type,
                       x=x, y=y, capacity=capacity)
        db.session.add(loc)
        db.session.flush()
    return loc


# --- Bins -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BinPosition:
    """Where a bin sits in the tree: zone and aisle codes, and bay and level read from its code."""

    zone: str
    aisle: str
    bay: int | None
    level: int | None


def bin_position(location: Location) -> BinPosition:
    aisle = location.parent if location.parent is not None and location.parent.kind == "aisle" else None
    zone = aisle.parent if aisle is not None and aisle.parent is not None and aisle.parent.kind == "zone" else None
    bay = level = None
    found = _POSITION.match(location.code)
    if aisle is not None and found and found["aisle"] == aisle.code:
        bay, level = int(found["bay"]), int(found["level"])
    return BinPosition(zone.code if zone else "", aisle.code if aisle else "", bay, level)


def bin_has_moves(location_id: int) -> bool:
    """True once stock has moved in or out of the location (its code and barcode are then fixed)."""
    return db.session.scalar(select(exists().where(or_(StockMove.from_location_id == location_id,
                                                       StockMove.to_location_id == location_id)))) or False


def on_hand(location_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).filter_by(
        location_id=location_id)) or 0


def _check_capacity(capacity: int | None) -> None:
    if capacity is not None and not 0 < capacity <= MAX_CAPACITY:
        raise ValidationFailed("capacity must be a whole number from 1 to 1000000", code="bad_capacity")


def _check_code(code: str, what: str = "code") -> None:
    if not CODE_PATTERN.match(code or ""):
        raise ValidationFailed(f"{what} {code!r}: letters, digits, . _ - (up to 40), starting with a letter or digit",
                               code=f"bad_{what}")


def get_bin(warehouse_id: int, bin_id: int) -> Location:
    loc = db.session.get(Location, bin_id)
    if loc is None or loc.warehouse_id != warehouse_id or loc.kind != "bin":
        raise NotFound("no such bin in this warehouse")
    return loc


def update_bin(warehouse_id: int, bin_id: int, *, bin_type: str, capacity: int | None, active: bool,
               code: str | None = None, barcode: str | None = None, mixed_lots: bool | None = None) -> Location:
    """Change a bin's type, capacity, active flag and whether it mixes lots of a SKU (None: unchanged;
    turning it off leaves lots already there in place, later putaways keep them apart), and its code
    or barcode while no stock has moved through it. Raises Conflict (code_locked) for a code or
    barcode change after stock moved, and (code_taken / barcode_taken) for codes already in use."""
    if bin_type not in EDITABLE_BIN_TYPES:
        raise ValidationFailed(f"unknown bin type {bin_type}", code="bad_bin_type")
    _check_capacity(capacity)
    with atomic():
        loc = get_bin(warehouse_id, bin_id)
        code = loc.code if code is None else code.strip()
        barcode = loc.barcode if barcode is None else barcode.strip()
        if (code, barcode) != (loc.code, loc.barcode):
            if bin_has_moves(loc.id):
                raise Conflict("stock has moved through this bin: its code and barcode stay", code="code_locked")
            _check_code(code)
            _check_code(barcode, "barcode")
            if code != loc.code and db.session.scalar(select(Location.id).filter_by(
                    warehouse_id=warehouse_id, code=code)) is not None:
                raise Conflict(f"code {code} is taken", code="code_taken", bin=code, warehouse=loc.warehouse.code)
            if barcode != loc.barcode and db.session.scalar(select(Location.id).filter_by(barcode=barcode)):
                raise Conflict(f"barcode {barcode} is taken", code="barcode_taken", barcode=barcode)
            loc.code, loc.name, loc.barcode = code, code, barcode
        loc.bin_type, loc.capacity, loc.active = bin_type, capacity, active
        if mixed_lots is not None:
            loc.mixed_lots = mixed_lots
        db.session.flush()
    return loc


def add_special_bin(warehouse_id: int, code: str, bin_type: str, *, capacity: int | None = None,
                    x: float | None = None, y: float | None = None) -> Location:
    """A staging, packing, returns, damaged, put-wall or clearance bin outside the aisles."""
    if bin_type not in SPECIAL_BIN_TYPES:
        raise ValidationFailed(f"{bin_type} is not a special bin type", code="bad_bin_type")
    code = (code or "").strip().upper()
    _check_code(code)
    _check_capacity(capacity)
    if (x is not None and x < 0) or (y is not None and y < 0):
        raise ValidationFailed("coordinates cannot be negative", code="bad_number")
    return create_bin(warehouse_id, code, bin_type, x=x, y=y, capacity=capacity)


def warehouse_or_404(warehouse_id: int) -> Warehouse:
    wh = db.session.get(Warehouse, warehouse_id)
    if wh is None:
        raise NotFound("no such warehouse")
    return wh


def bin_position_of_aisle(aisle: Location) -> str:
    """The zone code of an aisle location."""
    return aisle.parent.code if aisle.parent is not None and aisle.parent.kind == "zone" else ""
