"""One way to build a warehouse floor for a test: warehouses, bins (one by one or from a generated
layout), SKUs, channels and stock, made through the real services in the order they are declared.

    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", province="上海", key="sh")
             .bin("P-01", "pick", key="sh_pick")
             .sku("A", "Cup", key="a")
             .stock("a", "sh_pick", 10)
             .build(app))
    floor["sh_pick"]  # the bin's id

A bin or a layout belongs to the warehouse declared last before it, or to the one its ``warehouse=``
names. Warehouses, bins, SKUs and channels are known by their key (their code when no key is given; a
key is unique in one floor). Stock goes into a bin named by its key or, for the bins of a generated
layout, by its code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Floor(Mapping[str, int]):
    """What a builder made: the id of every keyed thing, and every bin of each warehouse by code."""

    ids: dict[str, int] = field(default_factory=dict)
    layout_bins: dict[str, int] = field(default_factory=dict)  # warehouse key -> bins generated
    _warehouse_keys: list[str] = field(default_factory=list)
    _bins: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)  # wh key -> code -> (id, barcode)
    _bin_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # bin key -> (wh key, code)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def _warehouse(self, warehouse: str | None) -> str:
        if warehouse is not None:
            return warehouse
        if len(self._warehouse_keys) != 1:
            raise ValueError("this floor has several warehouses: say which one")
        return self._warehouse_keys[0]

    def _place(self, ref: str, warehouse: str | None) -> tuple[int, str]:
        if ref in self._bin_keys and warehouse is None:
            wh_key, code = self._bin_keys[ref]
            return self._bins[wh_key][code]
        return self._bins[self._warehouse(warehouse)][ref]

    def bin(self, ref: str, warehouse: str | None = None) -> int:
        """The id of a bin by its key, or by its code in ``warehouse`` (the only one by default)."""
        return self._place(ref, warehouse)[0]

    def barcode(self, ref: str, warehouse: str | None = None) -> str:
        """The barcode of a bin by its key, or by its code in ``warehouse`` (the only one by default)."""
        return self._place(ref, warehouse)[1]

    def bins(self, warehouse: str | None = None) -> list[int]:
        """The ids of every bin of a warehouse in the order they were made (generated layouts first by
        zone, aisle, bay and level)."""
        return sorted(bin_id for bin_id, _barcode in self._bins[self._warehouse(warehouse)].values())


Step = Callable[[Floor], Mapping[str, int] | None]


class FloorBuilder:
    """Declare a floor step by step; ``build`` makes it through the services, in that order."""

    def __init__(self) -> None:
        self._steps: list[Callable[[Floor], None]] = []
        self._keys: set[str] = set()
        self._warehouse: str | None = None

    def _key(self, key: str | None, default: str) -> str:
        key = default if key is None else key
        if key in self._keys:
            raise ValueError(f"key {key!r} is taken in this floor: give the second one its own key=")
        self._keys.add(key)
        return key

    def _current_warehouse(self, what: str, warehouse: str | None) -> str:
        if warehouse is not None:
            return warehouse
        if self._warehouse is None:
            raise ValueError(f"declare a warehouse before its {what}")
        return self._warehouse

    def warehouse(self, code: str, name: str, *, key: str | None = None, **fields: Any) -> FloorBuilder:
        """A warehouse (``create_warehouse``: name_zh, province, city, address); bins after it go in it."""
        key = self._key(key, code)
        self._warehouse = key

        def make(floor: Floor) -> None:
            from erp_core.inventory.services import create_warehouse

            floor.ids[key] = create_warehouse(code, name, **fields).id
            floor._warehouse_keys.append(key)

        self._steps.append(make)
        return self

    def layout(self, *zones: Any, warehouse: str | None = None, **spec: Any) -> FloorBuilder:
        """The warehouse's generated layout (``create_layout``) from ``ZoneSpec``s and ``LayoutSpec``
        fields, or from one ``LayoutSpec``."""
        wh_key = self._current_warehouse("layout", warehouse)

        def make(floor: Floor) -> None:
            from wms.locations.services import LayoutSpec, create_layout

            layout = zones[0] if len(zones) == 1 and isinstance(zones[0], LayoutSpec) else LayoutSpec(
                zones=tuple(zones), **spec)
            floor.layout_bins[wh_key] = create_layout(floor.ids[wh_key], layout)

        self._steps.append(make)
        return self

    def bin(self, code: str, bin_type: str, *, key: str | None = None, warehouse: str | None = None,
            x: float | None = None, y: float | None = None, capacity: int | None = None) -> FloorBuilder:
        """A bin directly under the warehouse (``create_bin``): the last one declared unless
        ``warehouse`` names another by its key."""
        wh_key = self._current_warehouse("bins", warehouse)
        key = self._key(key, code)

        def make(floor: Floor) -> None:
            from wms.locations.services import create_bin

            made = create_bin(floor.ids[wh_key], code, bin_type, x=x, y=y, capacity=capacity)
            floor.ids[key] = made.id
            floor._bin_keys[key] = (wh_key, code)

        self._steps.append(make)
        return self

    def sku(self, code: str, name: str, *, key: str | None = None, kit: Mapping[str, int] | None = None,
            **fields: Any) -> FloorBuilder:
        """A SKU (``create_sku``: name_zh, barcodes, cost, ...); ``kit`` maps component keys to quantities."""
        key = self._key(key, code)

        def make(floor: Floor) -> None:
            from erp_core.catalog.models import KitComponent
            from erp_core.catalog.services import create_sku
            from erp_core.extensions import db

            sku = create_sku(code, name, **fields)
            floor.ids[key] = sku.id
            if kit:
                sku.is_kit = True
                db.session.add_all([KitComponent(kit_sku_id=sku.id, component_sku_id=floor.ids[part], quantity=qty)
                                    for part, qty in kit.items()])
                db.session.commit()

        self._steps.append(make)
        return self

    def channel(self, code: str, name: str, platform: str, *, key: str | None = None) -> FloorBuilder:
        """A sales channel (shop) orders can be made in."""
        key = self._key(key, code)

        def make(floor: Floor) -> None:
            from erp_core.channels.models import Channel
            from erp_core.extensions import db

            channel = Channel(code=code, name=name, platform=platform)
            db.session.add(channel)
            db.session.commit()
            floor.ids[key] = channel.id

        self._steps.append(make)
        return self

    def stock(self, sku: str, bin_ref: str, quantity: int, *, reference: str = "",
              warehouse: str | None = None) -> FloorBuilder:
        """Units of a SKU received (``receive``) into a bin, named by its key or by its code in the
        warehouse (the last one declared unless ``warehouse`` names another)."""
        wh_key = self._warehouse if warehouse is None else warehouse

        def make(floor: Floor) -> None:
            from erp_core.inventory.services import receive

            receive(floor.ids[sku], _bin_id(floor, bin_ref, wh_key), quantity, reference=reference)

        self._steps.append(make)
        return self

    def then(self, step: Step) -> FloorBuilder:
        """A step of the test's own (say, a tree of locations made by hand), run in its place; it gets
        the floor so far and returns the keys and ids of what it made, if any."""

        def make(floor: Floor) -> None:
            made = step(floor) or {}
            for key, made_id in made.items():
                if key in floor.ids:
                    raise ValueError(f"key {key!r} is taken in this floor")
                floor.ids[key] = made_id

        self._steps.append(make)
        return self

    def build(self, app: Any = None) -> Floor:
        """Make the floor, in ``app``'s context or (without ``app``) in the one already open."""
        if app is None:
            return self._build()
        with app.app_context():
            return self._build()

    def _build(self) -> Floor:
        floor = Floor()
        for step in self._steps:
            step(floor)
        _load_bins(floor)
        return floor


def _bin_id(floor: Floor, ref: str, wh_key: str | None) -> int:
    if ref in floor._bin_keys:
        return floor.ids[ref]
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    if wh_key is None:
        raise ValueError(f"no bin {ref!r}: name a keyed bin or declare the warehouse first")
    found = db.session.scalar(select(Location.id).filter_by(warehouse_id=floor.ids[wh_key], code=ref, kind="bin"))
    if found is None:
        raise ValueError(f"no bin {ref!r} in warehouse {wh_key!r}")
    return found


def _load_bins(floor: Floor) -> None:
    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    for wh_key in floor._warehouse_keys:
        rows = db.session.execute(select(Location.code, Location.id, Location.barcode).filter_by(
            warehouse_id=floor.ids[wh_key], kind="bin").order_by(Location.id))
        floor._bins[wh_key] = {code: (bin_id, barcode) for code, bin_id, barcode in rows}
