"""Replays of the handheld and station routes (pick, pack, receive, count, returns, manifests): each
sent again 1-20 times, sequentially and concurrently, has one effect
and the same answer (the harness: tests/integration/test_replays.py `replayed`).

Move a route from NOT_REPLAYED_YET to SCENARIOS when a test here replays it; test_replays.py checks that
every idempotent route of the app is in one of the two sets of one of the replay files."""

from __future__ import annotations

SCENARIOS: set[str] = set()
NOT_REPLAYED_YET = {
    "floor_tasks.count_finish",
    "floor_tasks.count_scan",
    "floor_tasks.replenish_scan",
    "handheld.lookup_scan",
    "inbound.putaway_confirm",
    "inbound.putaway_find",
    "inbound.receive_open",
    "inbound.receive_scan",
    "manifests.open_new",
    "manifests.scan",
    "pack.carrier",
    "pack.new_package",
    "pack.restart",
    "pack.scan",
    "pack.tracking_number",
    "pack.weigh",
    "picking.pick_scan",
    "picking.pick_short",
    "put_back.scan",
    "returns_station.inspect",
    "returns_station.open_case",
    "returns_station.scan",
}
