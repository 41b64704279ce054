"""Wave planning (波次), pure: which released orders go into which wave, cart and wave type.

Wave types, as Chinese e-commerce warehouses run them:
- single_sku (爆款): many orders of one SKU — picked in bulk in one trip, no sorting; their waybills
  print in sequence at the pack desk.
- single: one-item orders — picked onto a cart without sorting; each item is its own parcel.
- cluster: multi-item orders, one tote slot per order on the cart (pick-to-tote).
- batch_sort: multi-item orders picked in bulk, then sorted into put-wall slots (播种墙).
- zone: multi-item orders picked zone by zone, consolidated at packing.

Orders are taken by priority, then ship-by time (cut-off), then age, within the supervisor's rules
and the wave's limits; carts are batched (wms/picking/batching.py) and routed (wms/picking/routing/).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from wms.locations.geometry import Layout, PickPoint
from wms.picking.batching import Order as BatchOrder
from wms.picking.batching import plan_batches
from wms.picking.routing import Route

MultiItemMode = Literal["cluster", "batch_sort", "zone"]
_FAR_FUTURE = datetime.max


@dataclass(frozen=True)
class OrderForWave:
    """A released order as planning sees it: its pinned picks, size and what rules select on."""

    order_id: int
    picks: tuple[PickPoint, ...]
    lines: tuple[tuple[int, int], ...]  # (sku_id, quantity) of what is picked (kit components)
    carrier: str = ""
    priority: int = 0
    ship_by: datetime | None = None
    channel: str = ""
    zones: frozenset[str] = frozenset()
    weight_g: int = 0
    volume_cm3: int = 0

    @property
    def items(self) -> int:
        return sum(q for _sku, q in self.lines)

    @property
    def skus(self) -> frozenset[int]:
        return frozenset(sku for sku, _q in self.lines)


@dataclass(frozen=True)
class WaveRules:
    """What the supervisor sets for a wave."""

    carriers: frozenset[str] = frozenset()   # empty: any carrier
    channels: frozenset[str] = frozenset()   # empty: any channel
    ship_by_until: datetime | None = None    # only orders due by this cut-off
    min_priority: int | None = None
    max_orders: int = 200
    max_lines: int = 2000
    cart_items: int = 45
    cart_slots: int = 12
    cart_weight_g: int | None = None         # None: no weight limit
    cart_volume_cm3: int | None = None       # None: no volume limit
    bulk_sku_threshold: int = 10
    multi_item_mode: MultiItemMode = "cluster"
    put_wall_slots: int = 48
    batching_method: str = "savings+local"
    walk_m_per_min: float = 48.0             # about 0.8 m/s with a cart
    seconds_per_pick: float = 8.0


@dataclass(frozen=True)
class Cart:
    """One pick list: the orders on one cart (or, for zone picking, one zone's share)."""

    order_ids: tuple[int, ...]
    route: Route
    items: int
    zone: str = ""


@dataclass
class WaveProposal:
    kind: str
    order_ids: list[int]
    carts: list[Cart]
    picks: int
    distance_m: float
    minutes: float


@dataclass
class WavePlan:
    waves: list[WaveProposal] = field(default_factory=list)
    excluded: dict[int, str] = field(default_factory=dict)  # order id -> why it was left out

    @property
    def order_count(self) -> int:
        return sum(len(w.order_ids) for w in self.waves)


def matches(order: OrderForWave, rules: WaveRules) -> bool:
    """Whether the supervisor's selection (carrier, channel, cut-off, priority) takes the order."""
    if rules.carriers and order.carrier not in rules.carriers:
        return False
    if rules.channels and order.channel not in rules.channels:
        return False
    if rules.ship_by_until and (order.ship_by is None or order.ship_by > rules.ship_by_until):
        return False
    return rules.min_priority is None or order.priority >= rules.min_priority


def select_orders(orders: Iterable[OrderForWave], rules: WaveRules) -> tuple[list[OrderForWave], dict[int, str]]:
    """The orders the rules pick, most urgent first, within the wave's order and line limits."""
    chosen: list[OrderForWave] = []
    excluded: dict[int, str] = {}
    lines = 0
    ordered = sorted(orders, key=lambda o: (-o.priority, o.ship_by or _FAR_FUTURE, o.order_id))
    for order in ordered:
        if not matches(order, rules):
            continue
        if not order.picks:
            excluded[order.order_id] = "not_reserved"
        elif order.items > rules.cart_items or not _fits(order.weight_g, rules.cart_weight_g) \
                or not _fits(order.volume_cm3, rules.cart_volume_cm3):
            excluded[order.order_id] = "larger_than_cart"
        elif len(chosen) >= rules.max_orders or lines + len(order.lines) > rules.max_lines:
            excluded[order.order_id] = "wave_full"
        else:
            chosen.append(order)
            lines += len(order.lines)
    return chosen, excluded


def split_by_shape(orders: Sequence[OrderForWave], rules: WaveRules) -> dict[str, list[OrderForWave]]:
    """Wave type per order: bulk single-SKU groups first, then single items, then the rest."""
    by_sku: dict[int, list[OrderForWave]] = defaultdict(list)
    for order in orders:
        if len(order.skus) == 1:
            by_sku[next(iter(order.skus))].append(order)
    bulk_ids = {o.order_id for group in by_sku.values() if len(group) >= rules.bulk_sku_threshold for o in group}
    shapes: dict[str, list[OrderForWave]] = defaultdict(list)
    for order in orders:
        if order.order_id in bulk_ids:
            shapes[f"single_sku:{next(iter(order.skus))}"].append(order)
        elif order.items == 1:
            shapes["single"].append(order)
        else:
            shapes[rules.multi_item_mode].append(order)
    return shapes


def _fits(amount: int, limit: int | None) -> bool:
    return limit is None or amount <= limit


def _chunks(ids: list[int], by_id: dict[int, OrderForWave], rules: WaveRules, slots: int | None) -> list[list[int]]:
    """Split a batch where it has more orders than slots, or more weight or volume than a cart takes."""
    chunks: list[list[int]] = [[]]
    weight = volume = 0
    for order_id in ids:
        order = by_id[order_id]
        full = (slots is not None and len(chunks[-1]) >= slots) \
            or not _fits(weight + order.weight_g, rules.cart_weight_g) \
            or not _fits(volume + order.volume_cm3, rules.cart_volume_cm3)
        if full and chunks[-1]:
            chunks.append([])
            weight = volume = 0
        chunks[-1].append(order_id)
        weight += order.weight_g
        volume += order.volume_cm3
    return chunks


def _carts(orders: list[OrderForWave], rules: WaveRules, layout: Layout, slots: int | None) -> list[Cart]:
    batch_orders = [BatchOrder(str(o.order_id), o.picks, o.items) for o in orders]
    plan = plan_batches(batch_orders, rules.cart_items, layout=layout, method=rules.batching_method)
    by_id = {o.order_id: o for o in orders}
    carts: list[Cart] = []
    for batch in plan.batches:
        ids = [int(o.id) for o in batch.orders]
        chunks = _chunks(ids, by_id, rules, slots)
        if len(chunks) == 1:
            carts.append(Cart(tuple(ids), batch.route, batch.size))
            continue
        for chunk in chunks:  # more than the cart takes: route each part on its own
            picks = [p for i in chunk for p in by_id[i].picks]
            carts.append(Cart(tuple(chunk), _route(layout, picks), sum(by_id[i].items for i in chunk)))
    return carts


def _route(layout: Layout, picks: Sequence[PickPoint]) -> Route:
    from wms.picking.routing import best_route

    return best_route(layout, picks)


def _zone_carts(orders: list[OrderForWave], rules: WaveRules, layout: Layout) -> list[Cart]:
    """Zone picking: each zone's picks of all the wave's orders on one pick list."""
    picks_by_zone: dict[str, list[PickPoint]] = defaultdict(list)
    orders_by_zone: dict[str, set[int]] = defaultdict(set)
    items_by_zone: dict[str, int] = defaultdict(int)
    for order in orders:
        for pick in order.picks:
            zone = (pick.key or "").split(":", 1)[0] if pick.key and ":" in pick.key else ""
            picks_by_zone[zone].append(pick)
            orders_by_zone[zone].add(order.order_id)
            items_by_zone[zone] += 1
    return [Cart(tuple(sorted(orders_by_zone[z])), _route(layout, picks_by_zone[z]), items_by_zone[z], zone=z)
            for z in sorted(picks_by_zone)]


def propose_waves(orders: Iterable[OrderForWave], rules: WaveRules, layout: Layout) -> WavePlan:
    """Group the selected orders into waves by shape, with carts, routes and estimates.

    Pick points' keys are "<zone>:<bin code>", which zone picking uses to split the work.
    """
    chosen, excluded = select_orders(orders, rules)
    plan = WavePlan(excluded=excluded)
    for shape, group in sorted(split_by_shape(chosen, rules).items()):
        kind = shape.split(":", 1)[0]
        if kind == "zone":
            carts = _zone_carts(group, rules, layout)
        elif kind == "single_sku":
            # One bulk trip per cart-load; orders only matter at the pack desk (print sequence).
            carts = _carts(group, rules, layout, slots=None)
        elif kind == "batch_sort":
            carts = _carts(group, rules, layout, slots=rules.put_wall_slots)
        elif kind == "cluster":
            carts = _carts(group, rules, layout, slots=rules.cart_slots)
        else:
            carts = _carts(group, rules, layout, slots=None)
        picks = sum(len(o.picks) for o in group)
        distance = sum(c.route.length for c in carts)
        minutes = distance / rules.walk_m_per_min + picks * rules.seconds_per_pick / 60
        plan.waves.append(WaveProposal(kind, [o.order_id for o in group], carts, picks, round(distance, 1),
                                       round(minutes, 1)))
    return plan
