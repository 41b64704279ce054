"""batching: total travel of all batch tours against FCFS with the same router (see BENCHMARKS.md).

Henn & Wäscher-style instances: single-block layout, orders of 5-25 lines (one item a line), carts
of 45 and 75 items, 40 and 100 orders; several seeded instances per size, travel summed over them.
Every method routes its batches with best_route (exact), so the ratios measure batching alone. The
time of planning 100 orders (construction, local search and routing every batch) is reported against
FCFS planning the same orders, interleaved.
"""

from __future__ import annotations

from bench.common import BenchResult, Warehouse, interleaved, main_for
from wms.picking.batching import plan_batches

SEED = 1
METHODS = ("seed", "savings", "seed+local", "savings+local")


def run(quick: bool) -> list[BenchResult]:
    wh = Warehouse(SEED)
    layout, instances = wh.layout, 2 if quick else 5
    results = []
    for count in (40, 100):
        order_sets = [wh.orders(SEED + i, count) for i in range(instances)]
        for capacity in (45, 75):
            params = {"orders": count, "capacity": capacity, "instances": instances, "seed": SEED}

            def travel(method: str, capacity: int = capacity, order_sets: list = order_sets) -> float:
                return sum(
                    plan_batches(orders, capacity, layout=layout, method=method).total_length for orders in order_sets
                )

            fcfs = travel("fcfs")
            line = [f"  {count} orders, cart {capacity}: fcfs {fcfs:.0f} m"]
            for method in METHODS:
                ratio = travel(method) / fcfs
                results.append(BenchResult("batching", "travel_ratio", ratio, "fcfs", {"method": method, **params}))
                line.append(f"{method} x{ratio:.4f}")
            print(", ".join(line))
            if count == 100:
                first = order_sets[0]
                timing = interleaved(
                    lambda first=first, capacity=capacity: plan_batches(first, capacity, layout=layout),
                    lambda first=first, capacity=capacity: plan_batches(first, capacity, layout=layout, method="fcfs"),
                )
                timed = {"method": "savings+local", **params, "instances": 1}
                results.append(BenchResult("batching", "seconds", timing.a, None, timed))
                results.append(BenchResult("batching", "time_ratio", timing.ratio, "fcfs", timed))
                print(f"  100 orders, cart {capacity}: savings+local {timing.a:.3f} s, fcfs {timing.b:.3f} s")
    return results


if __name__ == "__main__":
    main_for(run)
