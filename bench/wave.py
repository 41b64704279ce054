"""wave.release: plan + batch + route + persist a wave of released orders, against a naive pipeline.

The floor: a warehouse made by `create_layout` in Henn & Wäscher's shape (10 aisles, 45 bays a side,
aisle centres 5 m apart, 1 m cross-aisle clearance: 47 m aisles, the depot in front of the first
aisle), the same instance as the batching benchmark (bench/common.py's `Warehouse.orders`: 5-25
lines an order, one item a line, Zipf SKU popularity, random storage, one SKU per bin). Each bin's
SKU is received through the ledger, orders are taken in with `create_order` and approved
(`approve_order` allocates them), so they are `released` with reservations pinned to their bins.
Carts take 75 items in 12 order slots (cluster picking, one tote per order).

A, the project: `release_waves` (candidate orders with their reservations, savings+local batching,
exact routes, Wave/WaveOrder/PickList/PickTask rows, cart locations, orders to `picking` with a
history event, the replenishment check, the board notice after commit) in one transaction.

B, the naive pipeline, written here: the same released orders and reservations read with the ORM,
first-come-first-served carts in order-id order (same item and slot limits), an S-shape route a cart,
and the same rows (wave, pick lists, cart locations, wave orders, order status and event, pick tasks
in route order) each with its own `session.add()` and flush, one commit at the end.

Every run starts from a copy of the same database file (the copying is not timed); runs are
interleaved A B A B after one warm-up each; medians. Travel is the sum of the stored route lengths.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.common import MIN_REPEATS, BenchResult, Timing, Warehouse, main_for, migrated_app

SEED = 1
CART_ITEMS = 75
CART_SLOTS = 12
WAREHOUSE_CODE = "HW1"
CHANNEL = "BENCH-WAVE"
STOCK_SLACK = 2  # units a bin holds beyond what the orders need


def layout_spec():
    """Henn & Wäscher's floor as the app's layout parameters (one level: a bay is a bin)."""
    from wms.locations.services import LayoutSpec, ZoneSpec

    return LayoutSpec(zones=(ZoneSpec("A", aisles=10, bays_per_aisle=90, levels=1),), aisle_spacing_m=5.0,
                      bay_width_m=1.0, front_margin_m=1.0, depot=(2.5, 0.0))


def bin_code_of(key: str) -> str:
    """The app's bin code of a generator bin key: "A03-L-07" (aisle 3, left, slot 7) -> "A03-13-1"."""
    from wms.locations.services import bin_code

    aisle, side, slot = key.split("-")
    bay = 2 * int(slot) - (1 if side == "L" else 0)  # odd bays on the left, even on the right
    return bin_code("A", int(aisle[1:]), bay, 1)


@dataclass(frozen=True)
class Outcome:
    """What a release left in the database: the figures both pipelines must agree on, and travel."""

    travel_m: float
    pick_lists: int
    wave_orders: int
    tasks: int
    units: int


class Floor:
    """The app on a temporary SQLite database built by the migrations, with released orders."""

    def __init__(self, workdir: Path, orders: int) -> None:
        from erp_core.extensions import db

        self.path, self.pristine = workdir / "wave.db", workdir / "pristine.db"
        self.app = migrated_app(self.path, workdir / "instance")
        with self.app.app_context():
            self.warehouse_id = self._stock_and_release(orders)
            db.session.remove()
            db.engine.dispose()
        with sqlite3.connect(self.path) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(self.path, self.pristine)

    def _stock_and_release(self, count: int) -> int:
        from sqlalchemy import select

        from erp_core.catalog.services import create_sku
        from erp_core.channels.models import Channel
        from erp_core.db import atomic
        from erp_core.extensions import db
        from erp_core.inventory.models import Location
        from erp_core.inventory.services import create_warehouse, receive
        from erp_core.orders.services import NewOrder, NewOrderLine, create_order
        from erp_core.orders.workflow import approve_order
        from wms.locations.services import create_layout

        orders = Warehouse(SEED).orders(SEED, count)
        demand = Counter(bin_code_of(p.key) for o in orders for p in o.picks)
        with atomic():
            wh = create_warehouse(WAREHOUSE_CODE, "Bench DC", province="上海")
            create_layout(wh.id, layout_spec())
            bins = dict(db.session.execute(select(Location.code, Location.id).filter_by(warehouse_id=wh.id,
                                                                                         kind="bin")).all())
            db.session.add(Channel(code=CHANNEL, name="Bench shop", platform="tmall"))
            for code in sorted(demand):
                sku = create_sku(f"SKU-{code}", f"Item in {code}")
                receive(sku.id, bins[code], demand[code] + STOCK_SLACK, reference="bench")
        for order in orders:
            lines = [NewOrderLine(f"SKU-{bin_code_of(p.key)}", 1, Decimal("9.90")) for p in order.picks]
            created = create_order(NewOrder(
                channel_code=CHANNEL, external_id=order.id, lines=lines, ship_name="王芳",
                ship_phone="13800138000", ship_province="上海", ship_city="上海市", ship_address="中山路 100 号",
                buyer_id=f"tb_{order.id}"))
            approve_order(created.id)
        return wh.id

    def reset(self) -> None:
        """Back to the released, unwaved orders: close every connection, copy the pristine file."""
        from erp_core.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.path)

    def outcome(self) -> Outcome:
        from sqlalchemy import func, select

        from erp_core.extensions import db
        from wms.picking.models import PickList, PickTask, WaveOrder

        travel, lists = db.session.execute(select(func.sum(PickList.route_length_m), func.count(PickList.id))).one()
        tasks, units = db.session.execute(select(func.count(PickTask.id), func.sum(PickTask.quantity))).one()
        wave_orders = db.session.scalar(select(func.count(WaveOrder.id)))
        return Outcome(round(float(travel or 0.0), 2), lists, wave_orders, tasks, int(units or 0))

    def close(self) -> None:
        from erp_core.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def release_project(warehouse_id: int) -> None:
    """A: the project's use-case."""
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    _waves, plan = release_waves(warehouse_id, WaveRules(max_orders=200, max_lines=10_000, cart_items=CART_ITEMS,
                                                         cart_slots=CART_SLOTS))
    if plan.excluded:
        raise AssertionError(f"the project left orders out of the wave: {dict(list(plan.excluded.items())[:5])}")


def release_naive(warehouse_id: int, cart_items: int = CART_ITEMS, cart_slots: int = CART_SLOTS) -> None:
    """B: FCFS carts, S-shape routes, one ORM add and flush per row, one commit."""
    import json

    from sqlalchemy import select

    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.models_base import utcnow
    from erp_core.orders.models import Order, OrderEvent
    from erp_core.orders.states import transition
    from wms.locations.layout import layout_geometry, pick_point
    from wms.picking.models import PickList, PickTask, Wave, WaveOrder
    from wms.picking.routing import s_shape_route

    layout = layout_geometry(warehouse_id)
    released = db.session.scalars(select(Order).where(Order.warehouse_id == warehouse_id, Order.status == "released")
                                  .order_by(Order.id)).all()
    carts: list[list[tuple]] = []  # each cart: [(order, [(line, reservation, pick point)])]
    load = 0
    for order in released:
        picks = [(line, r, pick_point(r.location)) for line in order.lines if not line.sku.is_kit
                 for r in line.reservations]
        items = sum(r.quantity for _line, r, _point in picks)
        if not carts or load + items > cart_items or len(carts[-1]) >= cart_slots:
            carts.append([])
            load = 0
        carts[-1].append((order, picks))
        load += items
    routes = [s_shape_route(layout, [point for _order, picks in cart for *_, point in picks]) for cart in carts]
    root = db.session.scalar(select(Location).filter_by(warehouse_id=warehouse_id, kind="warehouse"))
    wave = Wave(reference=f"N-{utcnow():%Y%m%d}-0001", warehouse_id=warehouse_id, kind="cluster", status="released",
                rules=json.dumps({"batching": "fcfs", "routing": "s-shape", "cart_items": cart_items,
                                  "cart_slots": cart_slots}),
                estimated_distance_m=round(sum(r.length for r in routes), 1), released_at=utcnow())
    db.session.add(wave)
    db.session.flush()
    for n, (cart, route) in enumerate(zip(carts, routes, strict=True), start=1):
        pick_list = PickList(wave_id=wave.id, sequence=n, route_length_m=round(route.length, 2),
                             route_method=route.method)
        db.session.add(pick_list)
        db.session.flush()
        cart_loc = Location(warehouse_id=warehouse_id, parent_id=root.id, code=f"CART-{pick_list.id}",
                            barcode=f"{root.code}-CART-{pick_list.id}", name=f"CART-{pick_list.id}",
                            usage="internal", kind="bin", bin_type="tote")
        db.session.add(cart_loc)
        db.session.flush()
        stop = {visit.key: i for i, visit in enumerate(route.visits) if visit.key}
        tasks = []
        for slot, (order, picks) in enumerate(cart, start=1):
            db.session.add(WaveOrder(wave_id=wave.id, order_id=order.id, pick_list_id=pick_list.id,
                                     sequence=slot, slot=slot))
            db.session.flush()
            transition(order, "picking")  # one UPDATE per order, as the ORM flush did
            db.session.add(OrderEvent(order_id=order.id, kind="wave", message=f"in wave {wave.reference}"))
            db.session.flush()
            tasks.extend((stop[point.key], order.id, slot, line, r) for line, r, point in picks)
        for seq, (_stop, order_id, slot, line, r) in enumerate(sorted(tasks, key=lambda t: t[:3]), start=1):
            db.session.add(PickTask(pick_list_id=pick_list.id, sequence=seq, order_id=order_id,
                                    order_line_id=line.id, sku_id=line.sku_id, location_id=r.location_id,
                                    tote_location_id=cart_loc.id, quantity=r.quantity, slot=slot))
            db.session.flush()
    db.session.commit()


def exact_fcfs_travel(floor: Floor) -> float:
    """Travel of the naive pipeline's FCFS carts routed exactly: splits the gain into batching and routing."""
    from sqlalchemy import select

    from erp_core.extensions import db
    from wms.locations.layout import layout_geometry, pick_point
    from wms.picking.models import PickList, PickTask
    from wms.picking.routing import best_route

    layout = layout_geometry(floor.warehouse_id)
    total = 0.0
    for pick_list in db.session.scalars(select(PickList).order_by(PickList.id)):
        tasks = db.session.scalars(select(PickTask).filter_by(pick_list_id=pick_list.id)).all()
        total += best_route(layout, [pick_point(t.location) for t in tasks]).length
    return total


def _timed(floor: Floor, release: Callable[[int], None]) -> tuple[float, Outcome]:
    from erp_core.extensions import db

    floor.reset()
    with floor.app.app_context():
        start = time.perf_counter()
        release(floor.warehouse_id)
        seconds = time.perf_counter() - start
        db.session.remove()
        outcome = floor.outcome()
        db.session.remove()
    return seconds, outcome


def interleaved_releases(floor: Floor, repeats: int) -> tuple[Timing, Outcome, Outcome]:
    """A B A B ... from the same starting database each time, after one warm-up each; medians."""
    repeats = max(repeats, MIN_REPEATS)
    _timed(floor, release_project)
    _timed(floor, release_naive)
    times: dict[str, list[float]] = {"a": [], "b": []}
    outcomes: dict[str, set[Outcome]] = {"a": set(), "b": set()}
    for _ in range(repeats):
        for name, release in (("a", release_project), ("b", release_naive)):
            seconds, outcome = _timed(floor, release)
            times[name].append(seconds)
            outcomes[name].add(outcome)
    for name, seen in outcomes.items():
        if len(seen) != 1:
            raise AssertionError(f"pipeline {name} is not deterministic: {seen}")
    (a,), (b,) = outcomes["a"], outcomes["b"]
    if (a.wave_orders, a.tasks, a.units) != (b.wave_orders, b.tasks, b.units):
        raise AssertionError(f"the pipelines released different work: {a} vs {b}")
    return Timing(statistics.median(times["a"]), statistics.median(times["b"]), repeats), a, b


def run(quick: bool) -> list[BenchResult]:
    count, repeats = (60, 3) if quick else (200, 5)
    with tempfile.TemporaryDirectory(prefix="bench-wave-") as tmp:
        start = time.perf_counter()
        floor = Floor(Path(tmp), count)
        print(f"  setup: {count} released orders in {time.perf_counter() - start:.1f} s")
        try:
            timing, a, b = interleaved_releases(floor, repeats)
            floor.reset()
            with floor.app.app_context():
                release_naive(floor.warehouse_id)
                fcfs_exact = exact_fcfs_travel(floor)
        finally:
            floor.close()
    params = {"orders": count, "seed": SEED, "cart_items": CART_ITEMS, "cart_slots": CART_SLOTS, "repeats": repeats}
    naive = "naive (fcfs, s-shape, orm add per row)"
    print(f"  travel: project {a.travel_m:.1f} m on {a.pick_lists} carts, naive {b.travel_m:.1f} m on "
          f"{b.pick_lists} carts (x{a.travel_m / b.travel_m:.4f}); naive carts routed exactly {fcfs_exact:.1f} m")
    print(f"  time: project {timing.a:.3f} s, naive {timing.b:.3f} s (x{timing.ratio:.3f}); "
          f"{a.wave_orders} orders, {a.tasks} tasks")
    return [
        BenchResult("wave.release", "travel_ratio", a.travel_m / b.travel_m, naive, params),
        BenchResult("wave.release", "time_ratio", timing.ratio, naive, params),
        BenchResult("wave.release", "seconds", timing.a, None, {"pipeline": "project", **params}),
        BenchResult("wave.release", "seconds", timing.b, None, {"pipeline": "naive", **params}),
        BenchResult("wave.release", "travel_ratio", a.travel_m / fcfs_exact, "fcfs + best_route (batching alone)",
                    params),
    ]


if __name__ == "__main__":
    main_for(run)
