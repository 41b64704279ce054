"""board.fanout: 1,000 pick events to 50 wave-board clients, against the same with 1 client, same run.

The floor: one warehouse (2 aisles x 30 bays), 60 SKUs each in its own bin, orders of 5 lines of 8
units released as 4 cluster waves of one cart each, each cart claimed by one of 4 pickers; one supervisor
(board.view) whose board pages log in over HTTP (requests) and connect with the real Socket.IO
client (python-socketio, websocket transport) to the app under a threaded WSGI server (werkzeug's,
as `make run` serves it), each joining the warehouse's board room (`join_warehouse`).

The clients live in a process of their own (what they cost is not the server's), the app and the
pickers in this one. A pick event is one unit confirmed with `confirm_pick` (bin and item scans
checked, stock and reservation moved bin -> cart, task and list progress, one commit), whose
after-commit marks the wave for the board's coalesced sender (wms/picking/events.py): it reads the
board, renders each fragment once per language and sends it to the room, a few times a second.

A run: the clients are armed, 1,000 picks are confirmed back to back (events spread over the carts),
and the run ends when every client has received each wave's last state (the `wave_progress` row with
the wave's final picked figure). Per-client delivery throughput = pick events / (end - first pick):
how fast one board sees the floor's picks. Runs alternate 50 clients, 1 client, ... (the clients
between are disconnected or reconnected, not timed); medians; throughput_ratio = 50-client / 1-client
(>= 0.8: fifty boards watching must not slow any board, nor the floor, by more than a fifth).
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import statistics
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.common import MIN_REPEATS, BenchResult, main_for, migrated_app

CLIENTS = 50
PICKERS = 4
PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway database)
SUPERVISOR = "board"
LINES_PER_ORDER = 5
UNITS_PER_LINE = 8
WAREHOUSE_CODE = "BF1"
WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Unit:
    """One pick event: one unit of a task, confirmed by its picker."""

    task_id: int
    bin: str
    item: str
    picker_id: int
    wave_id: int


# --- the server side (this process) ---------------------------------------------------------------


def _seed(app, units_needed: int) -> int:
    """The floor, the orders released onto carts claimed by the pickers; returns the warehouse id."""
    from sqlalchemy import select

    from erp_core.auth.services import create_user
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order
    from erp_core.orders.workflow import approve_order
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout
    from wms.picking.planning import WaveRules
    from wms.picking.services import pick_list_for
    from wms.picking.waves import release_waves

    per_order = LINES_PER_ORDER * UNITS_PER_LINE
    orders = -(-units_needed // per_order)
    with app.app_context():
        with atomic():
            wh = create_warehouse(WAREHOUSE_CODE, "Board bench DC", province="上海")
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=30, levels=1),)))
            bins = db.session.scalars(select(Location.id).filter_by(warehouse_id=wh.id, kind="bin")
                                      .order_by(Location.id)).all()
            db.session.add(Channel(code="BENCH-BOARD", name="Bench shop", platform="tmall"))
            for index, bin_id in enumerate(bins):
                sku = create_sku(f"S{index:03d}", f"Item {index}", barcodes=[f"BC-S{index:03d}"])
                receive(sku.id, bin_id, orders * UNITS_PER_LINE, reference="bench")
            create_user(SUPERVISOR, PASSWORD, "supervisor")
            pickers = [create_user(f"picker{n}", PASSWORD, "picker").id for n in range(PICKERS)]
        for n in range(orders):
            lines = [NewOrderLine(f"S{(n * 7 + k * 13) % len(bins):03d}", UNITS_PER_LINE, Decimal("9.90"))
                     for k in range(LINES_PER_ORDER)]
            created = create_order(NewOrder(
                channel_code="BENCH-BOARD", external_id=f"BF-{n}", lines=lines, ship_name="王芳",
                ship_phone="13800138000", ship_province="上海", ship_city="上海市", ship_address="中山路 100 号"))
            approve_order(created.id)
        cart_orders = -(-orders // PICKERS)
        rules = WaveRules(max_orders=cart_orders, max_lines=100_000, cart_items=cart_orders * per_order,
                          cart_slots=cart_orders)
        for picker_id in pickers:  # a wave of one cart each
            release_waves(wh.id, rules)
            assert pick_list_for(picker_id, {wh.id}) is not None, "a picker without a cart"
        warehouse_id = wh.id
        db.session.remove()
    return warehouse_id


def _units(app) -> list[Unit]:
    """Every unit still to pick, the carts' units interleaved (the pickers take turns), route order."""
    from sqlalchemy import select

    from erp_core.extensions import db
    from wms.picking.models import PickList

    with app.app_context():
        carts = []
        for pick_list in db.session.scalars(select(PickList).filter_by(status="in_progress").order_by(PickList.id)):
            carts.append([Unit(t.id, t.location.barcode, f"BC-{t.sku.code}", pick_list.picker_id, pick_list.wave_id)
                          for t in pick_list.tasks if t.status == "open"
                          for _ in range(t.quantity - t.picked_quantity)])
        db.session.remove()
    longest = max(len(c) for c in carts)
    return [cart[i] for i in range(longest) for cart in carts if i < len(cart)]


def _pick(app, units: list[Unit]) -> dict[int, int]:
    """Confirm the units one by one; returns each touched wave's picked figure afterwards."""
    from erp_core.extensions import db
    from wms.picking.events import wave_progress
    from wms.picking.models import Wave
    from wms.picking.services import confirm_pick

    with app.app_context():
        for unit in units:
            confirm_pick(unit.task_id, bin_scan=unit.bin, item_scan=unit.item, user_id=unit.picker_id)
        targets = {w: wave_progress(db.session.get(Wave, w))["picked"] for w in sorted({u.wave_id for u in units})}
        db.session.remove()
    return targets


# --- the board pages (a process of their own) -----------------------------------------------------


def _login(base: str, username: str) -> str:
    """A logged-in browser session's cookie header."""
    import requests

    http = requests.Session()
    page = http.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = http.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                       allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


class BoardPage:
    """One wave-board page: a Socket.IO client in the warehouse's room, noting when each row came."""

    def __init__(self, base: str, cookie: str, warehouse_id: int) -> None:
        import socketio

        self.rows: list[tuple[float, int, int]] = []  # (perf_counter, wave, picked)
        self.messages = 0
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("wave_progress", self._row)
        for name in ("board_panels", "board_pickers", "wave_live"):
            self.sio.on(name, self._other)
        self.sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=30)
        answer = self.sio.call("join_warehouse", {"warehouse_id": warehouse_id, "view": "board"}, timeout=30)
        assert answer == {"ok": True}, answer

    def _row(self, data: dict) -> None:
        stamp = time.perf_counter()
        with self.lock:
            self.rows.append((stamp, data["wave"], data["picked"]))
            self.messages += 1

    def _other(self, data: dict) -> None:  # noqa: ARG002
        with self.lock:
            self.messages += 1

    def clear(self) -> None:
        with self.lock:
            self.rows.clear()
            self.messages = 0

    def reached(self, targets: dict[int, int]) -> float | None:
        """When every wave's final figure had arrived (None: not yet)."""
        with self.lock:
            firsts = [min((t for t, w, p in self.rows if w == wave and p >= picked), default=None)
                      for wave, picked in targets.items()]
        return None if None in firsts else max(firsts)


def _disconnect(pages: list[BoardPage]) -> None:
    closing = [threading.Thread(target=page.sio.disconnect) for page in pages]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()


def _boards_main(conn, base: str, warehouse_id: int) -> None:
    """The board pages' process: connect, arm, wait for the final state, as the pipe asks."""
    pages: list[BoardPage] = []
    cookies: list[str] = []
    try:
        while True:
            command, *args = conn.recv()
            if command == "connect":
                wanted = args[0]
                while len(cookies) < wanted:
                    cookies.append(_login(base, SUPERVISOR))
                _disconnect(pages[wanted:])  # at once: a websocket client takes seconds to close
                del pages[wanted:]
                while len(pages) < wanted:
                    pages.append(BoardPage(base, cookies[len(pages)], warehouse_id))
                time.sleep(0.5)  # any board update still in flight arrives before the run
                conn.send(("ok", len(pages)))
            elif command == "arm":
                for page in pages:
                    page.clear()
                conn.send(("ok",))
            elif command == "wait":
                targets, deadline = args[0], time.perf_counter() + WAIT_SECONDS
                while True:
                    ends = [page.reached(targets) for page in pages]
                    if None not in ends or time.perf_counter() > deadline:
                        break
                    time.sleep(0.01)
                conn.send(("ok", ends, [page.messages for page in pages]))
            elif command == "stop":
                _disconnect(pages)
                conn.send(("ok",))
                return
    except BaseException:  # noqa: BLE001  (told to the parent, which raises)
        conn.send(("error", traceback.format_exc()))


class Boards:
    """The parent's end of the board pages' process."""

    def __init__(self, base: str, warehouse_id: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_boards_main, args=(child, base, warehouse_id), daemon=True)
        self.process.start()

    def ask(self, *command):
        self.conn.send(command)
        if not self.conn.poll(WAIT_SECONDS + 60):
            raise TimeoutError(f"the board pages did not answer {command[0]}")
        status, *answer = self.conn.recv()
        if status == "error":
            raise RuntimeError(f"board pages: {answer[0]}")
        return answer

    def close(self) -> None:
        try:
            self.ask("stop")
        finally:
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()


@dataclass(frozen=True)
class Run:
    clients: int
    seconds: float  # first pick -> last client has every wave's final state
    tail: float  # last commit -> that
    messages: float  # board messages per client


def _run(app, boards: Boards, clients: int, units: list[Unit]) -> Run:
    boards.ask("connect", clients)
    boards.ask("arm")
    start = time.perf_counter()
    targets = _pick(app, units)
    committed = time.perf_counter()
    ends, messages = boards.ask("wait", targets)
    if None in ends:
        raise AssertionError(f"{ends.count(None)} of {clients} boards never got the final state {targets}")
    end = max(ends)
    return Run(clients, end - start, end - committed, statistics.mean(messages))


def run(quick: bool) -> list[BenchResult]:
    from werkzeug.serving import make_server

    events, repeats = (200, MIN_REPEATS) if quick else (1000, MIN_REPEATS)
    warm_up = events // 10  # a short warm-up of each (connections, caches), then the interleaved repeats
    with tempfile.TemporaryDirectory(prefix="bench-board-") as tmp:
        app = migrated_app(Path(tmp) / "board.db", Path(tmp) / "instance")
        app.config.update(LOGIN_RATE_LIMIT="100000 per minute")
        sizes = [warm_up, warm_up] + [events] * (2 * repeats)
        warehouse_id = _seed(app, sum(sizes))
        units = _units(app)
        assert len(units) >= sum(sizes), (len(units), sum(sizes))
        ends = [sum(sizes[:i + 1]) for i in range(len(sizes))]
        batches = [units[end - size:end] for end, size in zip(ends, sizes, strict=True)]
        # A closing client's last frames read as a bad HTTP request by werkzeug: noise, not news.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        boards = Boards(f"http://127.0.0.1:{server.server_port}", warehouse_id)
        results: dict[int, list[Run]] = {CLIENTS: [], 1: []}
        try:
            for index, batch in enumerate(batches):
                clients = CLIENTS if index % 2 == 0 else 1
                done = _run(app, boards, clients, batch)
                if index >= 2:  # the first of each is the warm-up
                    results[clients].append(done)
                print(f"   {clients:>2} client(s): {len(batch)} picks seen in {done.seconds:.2f} s "
                      f"(tail {done.tail * 1000:.0f} ms, {done.messages:.0f} messages a client)")
        finally:
            boards.close()
            server.shutdown()
            thread.join(timeout=10)
            from erp_core.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    many = statistics.median(r.seconds for r in results[CLIENTS])
    one = statistics.median(r.seconds for r in results[1])
    ratio = (events / many) / (events / one)
    params = {"database": "sqlite", "events": events, "clients": CLIENTS, "repeats": repeats,
              "coalesce_s": app.config["BOARD_COALESCE_SECONDS"],
              "events_per_s_50": round(events / many, 1), "events_per_s_1": round(events / one, 1),
              "deliveries_per_s_50": round(CLIENTS * events / many, 1),
              "tail_ms_50": round(statistics.median(r.tail for r in results[CLIENTS]) * 1000),
              "tail_ms_1": round(statistics.median(r.tail for r in results[1]) * 1000),
              "messages_per_client_50": round(statistics.median(r.messages for r in results[CLIENTS]), 1)}
    print(f"   per-client throughput: {events / many:.1f} picks/s with {CLIENTS} boards, "
          f"{events / one:.1f} with 1 (ratio {ratio:.2f})")
    return [BenchResult("board.fanout", "throughput_ratio", round(ratio, 3), "1 client", params)]


if __name__ == "__main__":
    main_for(run)
