"""What the layout screens read: zones > aisles > bins with their fill, pick frequency per bin and per
SKU, and the floor plan as drawable shapes (the SVG itself is `templates/locations/_plan_svg.html`).

The plan draws one rectangle per bay column (a bay's levels together, on its side of the aisle), so a
warehouse of ~1,000 bins is a few hundred shapes. Colours are SVG presentation attributes (the CSP
forbids style attributes). y grows from the front cross aisle (drawn at the bottom) to the back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from erp_core.catalog.models import Sku
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant, StockMove
from erp_core.models_base import utcnow
from erp_core.orders.models import Order, OrderLine

from .geometry import distance
from .layout import Geometry, layout_spec, pick_point, warehouse_geometry
from .services import LayoutSpec, bin_position
from .slotting import AbcRow, Slot, SlotMove, abc_classes, per_week, suggest_moves

EMPTY, NO_CAPACITY = "#eef2f5", "#d5dbe1"
FILL_STEPS = ((0.25, "#cfe8d5"), (0.5, "#8fd0a0"), (0.75, "#f2c46d"), (1.0, "#e8833a"))
OVER_CAPACITY = "#c0392b"
PICK_STEPS = ((0.1, "#dbe9f6"), (0.25, "#9ecae1"), (0.5, "#4292c6"), (1.0, "#08519c"))
EXCLUDED_ORDER_STATUSES = ("cancelled", "rejected")


# --- Zones, aisles, bins ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BinRow:
    location: Location
    on_hand: int

    @property
    def fill(self) -> float | None:
        cap = self.location.capacity
        return None if not cap else self.on_hand / cap


@dataclass
class AisleRow:
    location: Location
    bins: int = 0
    on_hand: int = 0
    capacity: int = 0

    @property
    def fill(self) -> float | None:
        return self.on_hand / self.capacity if self.capacity else None


@dataclass
class ZoneRow:
    location: Location
    aisles: list[AisleRow] = field(default_factory=list)


def _on_hand_by_location(warehouse_id: int) -> dict[int, int]:
    rows = db.session.execute(select(Quant.location_id, func.sum(Quant.quantity)).join(
        Location, Location.id == Quant.location_id).where(Location.warehouse_id == warehouse_id)
        .group_by(Quant.location_id))
    return {loc: int(qty or 0) for loc, qty in rows}


def zones_overview(warehouse_id: int) -> list[ZoneRow]:
    """Zones with their aisles, each with its number of bins, units on hand and total capacity."""
    zones = {z.id: ZoneRow(z) for z in db.session.scalars(select(Location).filter_by(
        warehouse_id=warehouse_id, kind="zone").order_by(Location.code))}
    aisles: dict[int, AisleRow] = {}
    for a in db.session.scalars(select(Location).filter_by(warehouse_id=warehouse_id, kind="aisle")
                                .order_by(Location.aisle_no, Location.code)):
        aisles[a.id] = AisleRow(a)
        if a.parent_id in zones:
            zones[a.parent_id].aisles.append(aisles[a.id])
    stock = _on_hand_by_location(warehouse_id)
    for bin_id, parent_id, capacity in db.session.execute(select(Location.id, Location.parent_id, Location.capacity)
                                                          .filter_by(warehouse_id=warehouse_id, kind="bin")):
        row = aisles.get(parent_id)
        if row is not None:
            row.bins += 1
            row.on_hand += stock.get(bin_id, 0)
            row.capacity += capacity or 0
    return list(zones.values())


def bins_of(warehouse_id: int, *, aisle_id: int | None) -> list[BinRow]:
    """The bins of one aisle, or (aisle_id None) the bins outside the aisles, with units on hand."""
    query = select(Location).filter_by(warehouse_id=warehouse_id, kind="bin")
    if aisle_id is None:
        query = query.where(Location.aisle_no.is_(None), Location.bin_type != "tote")
    else:
        query = query.filter_by(parent_id=aisle_id)
    stock = _on_hand_by_location(warehouse_id)
    return [BinRow(loc, stock.get(loc.id, 0)) for loc in db.session.scalars(query.order_by(Location.code))]


# --- Frequencies ------------------------------------------------------------------------------------

def _since(days: int):
    return utcnow() - timedelta(days=days)


def pick_counts_by_bin(warehouse_id: int, days: int) -> dict[int, int]:
    """Stock moves with reason 'pick' out of each bin of the warehouse in the last `days` days."""
    rows = db.session.execute(select(StockMove.from_location_id, func.count(StockMove.id)).join(
        Location, Location.id == StockMove.from_location_id).where(
        Location.warehouse_id == warehouse_id, StockMove.reason == "pick", StockMove.created_at >= _since(days))
        .group_by(StockMove.from_location_id))
    return {loc: int(n) for loc, n in rows}


def pick_counts_by_sku(warehouse_id: int, days: int) -> dict[int, int]:
    rows = db.session.execute(select(StockMove.sku_id, func.count(StockMove.id)).join(
        Location, Location.id == StockMove.from_location_id).where(
        Location.warehouse_id == warehouse_id, StockMove.reason == "pick", StockMove.created_at >= _since(days))
        .group_by(StockMove.sku_id))
    return {sku: int(n) for sku, n in rows}


def order_line_counts_by_sku(warehouse_id: int, days: int) -> dict[int, int]:
    """Demand instead of picks: order lines per SKU ordered in the last `days` days, of orders of this
    warehouse or not yet allocated to any, cancelled and rejected orders left out."""
    rows = db.session.execute(select(OrderLine.sku_id, func.count(OrderLine.id)).join(
        Order, Order.id == OrderLine.order_id).where(
        (Order.warehouse_id == warehouse_id) | Order.warehouse_id.is_(None),
        Order.status.not_in(EXCLUDED_ORDER_STATUSES), Order.ordered_at >= _since(days))
        .group_by(OrderLine.sku_id))
    return {sku: int(n) for sku, n in rows}


# --- The floor plan ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str
    aisle_id: int | None = None


@dataclass(frozen=True)
class LegendItem:
    colour: str
    label: str


@dataclass
class FloorPlan:
    width: float
    length: float
    racks: list[Shape] = field(default_factory=list)
    specials: list[Shape] = field(default_factory=list)  # staging, packing, ... bins with coordinates
    cross_aisles: list[Shape] = field(default_factory=list)
    aisle_labels: list[tuple[float, float, str]] = field(default_factory=list)
    depot: tuple[float, float] = (0.0, 0.0)
    legend: list[LegendItem] = field(default_factory=list)
    bins: int = 0
    picks: int = 0


def _dimensions(spec: LayoutSpec | None, geometry: Geometry) -> tuple[float, float, float, float, float]:
    """(aisle spacing, aisle width, bay width, front margin, back margin) of the drawing."""
    if spec is not None:
        return (spec.aisle_spacing_m, spec.aisle_width_m, spec.bay_width_m, spec.front_margin_m, spec.back_margin)
    xs = sorted(geometry.aisle_xs.values())
    spacing = min((b - a for a, b in zip(xs, xs[1:], strict=False)), default=3.0)
    return spacing, spacing / 2, 1.0, 2.0, 2.0


def _colour(value: float, steps: tuple[tuple[float, str], ...], above: str) -> str:
    return next((colour for limit, colour in steps if value <= limit + 1e-9), above)


def fill_colour(on_hand: int, capacity: int) -> str:
    if not capacity:
        return NO_CAPACITY if on_hand else EMPTY
    return EMPTY if on_hand == 0 else _colour(on_hand / capacity, FILL_STEPS, OVER_CAPACITY)


def pick_colour(picks: int, most: int) -> str:
    return EMPTY if picks == 0 or most == 0 else _colour(picks / most, PICK_STEPS, PICK_STEPS[-1][1])


def floor_plan(warehouse_id: int, *, mode: str, days: int, labels: dict[str, str]) -> FloorPlan | None:
    """The warehouse as shapes in metres (y downwards from the back), coloured by `mode` ('fill' or
    'picks' in the last `days` days). `labels` holds the translated words of titles and legend."""
    geometry = warehouse_geometry(warehouse_id)
    if geometry is None:
        return None
    spec = layout_spec(warehouse_id)
    spacing, aisle_width, bay_width, front, back = _dimensions(spec, geometry)
    length = geometry.layout.aisle_length
    xs = geometry.layout.aisle_xs
    plan = FloorPlan(width=max(xs) + spacing / 2, length=length,
                     depot=(xs[geometry.layout.depot.aisle], length - geometry.layout.depot.y))
    rack = (spacing - aisle_width) / 2
    stock = _on_hand_by_location(warehouse_id)
    picks = pick_counts_by_bin(warehouse_id, days) if mode == "picks" else {}
    columns: dict[tuple[int, str, float], dict] = defaultdict(lambda: {"bins": 0, "on_hand": 0, "capacity": 0,
                                                                        "picks": 0, "codes": []})
    aisle_codes: dict[int, tuple[str, int]] = {}
    bins = db.session.scalars(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.aisle_no.is_not(None),
        Location.y.is_not(None)).order_by(Location.code))
    for b in bins:
        if b.aisle_no not in geometry.aisle_xs:
            continue
        pos = bin_position(b)
        side = "R" if pos.bay is not None and pos.bay % 2 == 0 else "L"
        col = columns[(b.aisle_no, side, round(b.y, 3))]
        col["bins"] += 1
        col["on_hand"] += stock.get(b.id, 0)
        col["capacity"] += b.capacity or 0
        col["picks"] += picks.get(b.id, 0)
        col["codes"].append(f"{pos.aisle}-{pos.bay:02d}" if pos.bay is not None else b.code)
        aisle_codes.setdefault(b.aisle_no, (pos.aisle, b.parent_id))
    most = max((c["picks"] for c in columns.values()), default=0)
    for (aisle_no, side, y), c in sorted(columns.items()):
        x = geometry.aisle_xs[aisle_no]
        left = x - aisle_width / 2 - rack if side == "L" else x + aisle_width / 2
        if mode == "picks":
            colour = pick_colour(c["picks"], most)
            detail = f"{c['picks']} {labels['picks']}"
        else:
            colour = fill_colour(c["on_hand"], c["capacity"])
            share = f" ({c['on_hand'] / c['capacity']:.0%})" if c["capacity"] else ""
            detail = f"{c['on_hand']} / {c['capacity'] or '–'}{share}"
        name = c["codes"][0] if len(set(c["codes"])) == 1 else ", ".join(sorted(set(c["codes"])))
        plan.racks.append(Shape(round(left, 3), round(length - y - bay_width / 2, 3), round(rack, 3), bay_width,
                                colour, f"{name} · {c['bins']} {labels['bins']} · {detail}",
                                aisle_codes[aisle_no][1]))
    plan.bins = sum(c["bins"] for c in columns.values())
    plan.picks = sum(c["picks"] for c in columns.values())
    bands = [(0.0, front, labels["front"]), (length - back, length, labels["back"])]
    bands += [(y - w / 2, y + w / 2, labels["middle"]) for y, w in _middle_bands(geometry, spec)]
    plan.cross_aisles = [Shape(0.0, round(length - hi, 3), plan.width, round(hi - lo, 3), "#fdf6e3", title)
                         for lo, hi, title in bands]
    plan.aisle_labels = [(geometry.aisle_xs[n], round(length - front / 2, 3), code)
                         for n, (code, _id) in sorted(aisle_codes.items())]
    plan.legend = _legend(mode, most, labels)
    for b in db.session.scalars(select(Location).where(
            Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.aisle_no.is_(None),
            Location.x.is_not(None), Location.y.is_not(None), Location.bin_type != "tote").order_by(Location.code)):
        if 0 <= b.x <= plan.width and 0 <= b.y <= length:
            plan.specials.append(Shape(round(b.x - 0.4, 3), round(length - b.y - 0.4, 3), 0.8, 0.8, "#6c5ba7",
                                       f"{b.code} · {labels.get(b.bin_type or '', b.bin_type)}"))
    return plan


def _middle_bands(geometry: Geometry, spec: LayoutSpec | None) -> list[tuple[float, float]]:
    width = spec.cross_aisle_width_m if spec is not None else 2.0
    return [(y, width) for y in geometry.layout.middle_cross_aisles]


def _legend(mode: str, most: int, labels: dict[str, str]) -> list[LegendItem]:
    if mode == "picks":
        items = [LegendItem(EMPTY, labels["no_picks"])]
        low = 1
        for limit, colour in PICK_STEPS:
            high = int(limit * most)
            if high >= low:
                items.append(LegendItem(colour, f"{low}–{high}" if high > low else f"{low}"))
                low = high + 1
        return items
    items = [LegendItem(EMPTY, labels["empty"])]
    low = 0.0
    for limit, colour in FILL_STEPS:
        items.append(LegendItem(colour, f"{low:.0%}–{limit:.0%}"))
        low = limit
    items += [LegendItem(OVER_CAPACITY, labels["over"]), LegendItem(NO_CAPACITY, labels["no_capacity"])]
    return items


# --- Slotting inputs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SkuVelocity:
    row: AbcRow
    sku: Sku | None
    picks_per_week: float
    bin: str | None          # its pick face (nearest to the depot), if it has one
    distance: float | None   # from the depot to that bin, one way


@dataclass
class SlottingReport:
    source: str | None       # 'picks' (pick moves), 'orders' (order lines) or None (no data)
    days: int
    skus: list[SkuVelocity] = field(default_factory=list)
    moves: list[SlotMove] = field(default_factory=list)
    total: int = 0
    names: dict[str, Sku] = field(default_factory=dict)

    def count(self, velocity: str) -> int:
        return sum(1 for s in self.skus if s.row.velocity == velocity)


def _slots(warehouse_id: int, geometry: Geometry, codes: dict[int, str]) -> tuple[list[Slot], dict[str, float]]:
    """Active pick faces as slots: a bin holds the SKU with most units there; a SKU holding several
    bins keeps the one nearest the depot, and its other bins are left out of slotting."""
    bins = {b.id: b for b in db.session.scalars(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.bin_type == "pick",
        Location.active.is_(True), Location.aisle_no.is_not(None)))}
    main: dict[int, tuple[int, int]] = {}
    # A SKU's lots in one bin are one slot: their units together.
    units = func.sum(Quant.quantity)
    for loc_id, sku_id, qty in db.session.execute(select(Quant.location_id, Quant.sku_id, units).where(
            Quant.location_id.in_(select(Location.id).where(Location.warehouse_id == warehouse_id,
                                                            Location.bin_type == "pick")), Quant.quantity > 0)
            .group_by(Quant.location_id, Quant.sku_id)):
        if loc_id in bins and (loc_id not in main or (qty, -sku_id) > (main[loc_id][1], -main[loc_id][0])):
            main[loc_id] = (sku_id, qty)
    points = {b_id: pick_point(b) for b_id, b in bins.items()}
    dist = {b_id: distance(geometry.layout, geometry.layout.depot, p) for b_id, p in points.items() if p}
    home: dict[int, int] = {}
    for loc_id, (sku_id, _qty) in main.items():
        if loc_id in dist and (sku_id not in home or dist[loc_id] < dist[home[sku_id]]):
            home[sku_id] = loc_id
    homes = set(home.values())
    slots = [Slot(bins[b].code, points[b], codes.get(main[b][0]) if b in homes else None)
             for b in sorted(dist) if b in homes or b not in main]
    return slots, {bins[b].code: d for b, d in dist.items()}


def slotting_report(warehouse_id: int, *, days: int = 30, a_share: float = 0.8, b_share: float = 0.15,
                    limit: int = 20) -> SlottingReport:
    """ABC classes of the warehouse's SKUs and the best suggested moves. Frequency: pick moves in the
    last `days` days; when there are none yet, order lines in that period (the report says which)."""
    counts, source = pick_counts_by_sku(warehouse_id, days), "picks"
    if not counts:
        counts, source = order_line_counts_by_sku(warehouse_id, days), "orders"
    stocked = set(db.session.scalars(select(Quant.sku_id).join(Location, Location.id == Quant.location_id).where(
        Location.warehouse_id == warehouse_id, Location.bin_type == "pick", Quant.quantity > 0)))
    skus = {s.id: s for s in db.session.scalars(select(Sku).where(Sku.id.in_(set(counts) | stocked)))}
    codes = {sku_id: s.code for sku_id, s in skus.items()}
    report = SlottingReport(source if counts else None, days, total=sum(counts.values()),
                            names={s.code: s for s in skus.values()})
    rows = abc_classes({codes[i]: counts.get(i, 0) for i in skus}, a_share=a_share, b_share=b_share)
    weekly = {r.sku: per_week(r.picks, days) for r in rows}
    geometry = warehouse_geometry(warehouse_id)
    slots, dist = _slots(warehouse_id, geometry, codes) if geometry else ([], {})
    at = {s.sku: s.bin for s in slots if s.sku}
    report.skus = [SkuVelocity(r, report.names.get(r.sku), weekly[r.sku], at.get(r.sku),
                               dist.get(at.get(r.sku, ""))) for r in rows]
    if geometry is not None and report.source:
        report.moves = suggest_moves(geometry.layout, slots, weekly, {r.sku: r.velocity for r in rows}, limit=limit)
    return report
