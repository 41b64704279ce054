"""Allocation choice (分配): which warehouse ships an order, or how it is split.

Pure: given the order's lines, the buyer's province and each warehouse's available stock and service
area, return an ``AllocationPlan``. The allocate service then reserves exactly that plan.

1. A warehouse that can ship the whole order wins: the shop's own warehouse (``preferred``) when it
   is one of them, else preferring one that serves the buyer's province,
   then one serving the buyer's region (大区), then any; among equals the lowest ``priority`` number,
   then the most stock of the ordered SKUs, then the smallest id (so the choice is deterministic).
2. When none can ship it whole: with ``mode="split"`` the order is split into parts, taking each time
   the warehouse that covers the most remaining units (ties broken as above), until nothing more can
   be covered; what is left is back-ordered. With ``mode="backorder"`` nothing is allocated and the
   whole order waits for stock.

A split always covers as much as possible (every unit some warehouse has is allocated); the number
of parts is kept small greedily, which is not guaranteed minimal (that is set cover).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from erp_core.orders.regions import DEFAULT_PROVINCE_REGIONS, normalise_province

WarehouseId = Hashable
Mode = Literal["split", "backorder"]
SPLIT: Mode = "split"
BACKORDER: Mode = "backorder"

WHOLE_IN_PROVINCE = "whole_order_province_warehouse"
WHOLE_IN_REGION = "whole_order_region_warehouse"
WHOLE_ELSEWHERE = "whole_order_other_warehouse"
WHOLE_IN_SHOP_WAREHOUSE = "whole_order_shop_warehouse"
SPLIT_COMPLETE = "split"
SPLIT_PARTIAL = "split_with_backorder"
BACKORDERED = "backordered"
NOTHING_AVAILABLE = "nothing_available"
EMPTY_ORDER = "empty_order"
_TIER_REASONS = (WHOLE_IN_PROVINCE, WHOLE_IN_REGION, WHOLE_ELSEWHERE)


@dataclass(frozen=True)
class WarehouseStock:
    """A warehouse as allocation sees it: available (unreserved) quantity per SKU and service area.

    ``provinces`` and ``regions`` are what the warehouse serves (``{"浙江省"}``, ``{"华东"}``); a
    warehouse serving a province also counts as serving that province's region.
    """

    warehouse_id: WarehouseId
    available: Mapping[str, int]
    provinces: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    priority: int = 100


@dataclass(frozen=True)
class AllocationPlan:
    """Which warehouse ships what; ``backordered`` is what no warehouse can ship now."""

    parts: list[tuple[WarehouseId, dict[str, int]]]
    backordered: dict[str, int] = field(default_factory=dict)
    reason: str = ""

    @property
    def allocated(self) -> dict[str, int]:
        """Total quantity allocated per SKU over all parts."""
        total: dict[str, int] = {}
        for _, quantities in self.parts:
            for sku, quantity in quantities.items():
                total[sku] = total.get(sku, 0) + quantity
        return total

    @property
    def complete(self) -> bool:
        """Whether the whole order is allocated."""
        return not self.backordered

    @property
    def is_split(self) -> bool:
        """Whether more than one warehouse ships the order."""
        return len(self.parts) > 1


def merge_lines(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Order lines as ``{sku: total quantity}`` (the same SKU may appear on several lines)."""
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        merged[sku] = merged.get(sku, 0) + quantity
    return merged


def choose_allocation(lines: Mapping[str, int], warehouses: Sequence[WarehouseStock], *,
                      province: str = "", mode: Mode = SPLIT,
                      province_regions: Mapping[str, str] | None = None,
                      preferred: WarehouseId | None = None) -> AllocationPlan:
    """Choose where the order ships from (see the module docstring for the rules).

    Raises ``ValueError`` for a non-positive quantity or an unknown ``mode``.
    """
    if mode not in (SPLIT, BACKORDER):
        raise ValueError(f"mode must be 'split' or 'backorder', not {mode!r}")
    for sku, quantity in lines.items():
        if quantity <= 0:
            raise ValueError(f"quantity of {sku} must be positive, got {quantity}")
    wanted = dict(lines)
    if not wanted:
        return AllocationPlan([], {}, EMPTY_ORDER)
    regions = DEFAULT_PROVINCE_REGIONS if province_regions is None else province_regions
    rank = _Ranker(wanted, province, regions)
    whole = [w for w in warehouses if all(_available(w, sku) >= q for sku, q in wanted.items())]
    if whole:
        shop_own = next((w for w in whole if preferred is not None and w.warehouse_id == preferred), None)
        if shop_own is not None:
            return AllocationPlan([(shop_own.warehouse_id, dict(wanted))], {}, WHOLE_IN_SHOP_WAREHOUSE)
        best = min(whole, key=rank.key)
        return AllocationPlan([(best.warehouse_id, dict(wanted))], {}, _TIER_REASONS[rank.tier(best)])
    if mode == BACKORDER:
        return AllocationPlan([], dict(wanted), BACKORDERED)
    return _split(wanted, warehouses, rank)


def _split(wanted: dict[str, int], warehouses: Sequence[WarehouseStock], rank: _Ranker) -> AllocationPlan:
    remaining = dict(wanted)
    unused = list(warehouses)
    parts: list[tuple[WarehouseId, dict[str, int]]] = []
    while remaining and unused:
        scored = [(sum(min(q, _available(w, sku)) for sku, q in remaining.items()), w) for w in unused]
        covered, best = min(scored, key=lambda pair: (-pair[0], *rank.key(pair[1])))
        if covered == 0:
            break
        take = {sku: min(q, _available(best, sku)) for sku, q in remaining.items()}
        take = {sku: q for sku, q in take.items() if q > 0}
        parts.append((best.warehouse_id, take))
        unused.remove(best)
        for sku, quantity in take.items():
            remaining[sku] -= quantity
            if remaining[sku] == 0:
                del remaining[sku]
    if not parts:
        return AllocationPlan([], remaining, NOTHING_AVAILABLE)
    return AllocationPlan(parts, remaining, SPLIT_PARTIAL if remaining else SPLIT_COMPLETE)


def _available(warehouse: WarehouseStock, sku: str) -> int:
    return max(0, warehouse.available.get(sku, 0))


class _Ranker:
    """Orders warehouses by locality to the buyer, then priority, then stock, then id."""

    def __init__(self, wanted: Mapping[str, int], province: str, regions: Mapping[str, str]) -> None:
        self._wanted = wanted
        self._regions = regions
        self._province = normalise_province(province) if province else ""
        self._region = regions.get(self._province) if self._province else None

    def tier(self, warehouse: WarehouseStock) -> int:
        """0: serves the buyer's province; 1: serves the buyer's region; 2: neither."""
        if not self._province:
            return 2
        served = {normalise_province(p) for p in warehouse.provinces}
        if self._province in served:
            return 0
        if self._region is not None and (
            self._region in warehouse.regions or any(self._regions.get(p) == self._region for p in served)
        ):
            return 1
        return 2

    def key(self, warehouse: WarehouseStock) -> tuple[int, int, int, str]:
        """Sort key: smaller is better."""
        stock = sum(_available(warehouse, sku) for sku in self._wanted)
        return self.tier(warehouse), warehouse.priority, -stock, str(warehouse.warehouse_id)
