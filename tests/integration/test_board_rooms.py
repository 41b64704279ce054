"""The live board's rooms: who may hear a warehouse's and a wave's board, the resync snapshot, and
bursts of picks coalesced into a few updates per wave."""

from __future__ import annotations

import time

import pytest

from tests.integration import board_helpers
from tests.integration.board_helpers import events_named, pick_lines, socket_of

board_floor = board_helpers.board_floor
no_other_sockets = board_helpers.no_other_sockets

BOARD_EVENTS = {"wave_progress", "board_panels", "board_pickers", "wave_live"}


@pytest.fixture
def at_once(app, monkeypatch):
    """No coalescing window: each commit's board update is sent in its after-commit."""
    monkeypatch.setitem(app.config, "BOARD_COALESCE_SECONDS", 0)


def test_a_picker_is_refused_the_board_room_and_hears_none_of_its_fragments(app, board_floor, at_once):
    picker = socket_of(app, "picker")
    assert not picker.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True)
    assert not picker.is_connected(), "a refused board event disconnects"
    wave_page = socket_of(app, "picker")
    assert not wave_page.emit("join_wave", {"wave_id": board_floor["wave"]}, callback=True)
    assert not wave_page.is_connected()
    handheld = socket_of(app, "picker")  # the handheld's own connection: its user room only
    pick_lines(app, board_floor["picker"], 1)
    assert not {m["name"] for m in handheld.get_received()} & BOARD_EVENTS


def test_a_supervisor_of_another_warehouse_is_refused_its_rooms_and_snapshots(app, board_floor, at_once):
    viewer = socket_of(app, "viewer")  # board.view, but SZ1 only
    assert viewer.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True)["ok"] is False
    assert viewer.emit("join_wave", {"wave_id": board_floor["wave"]}, callback=True)["ok"] is False
    assert viewer.emit("board_snapshot", {"warehouse_id": board_floor["wh"]}, callback=True)["ok"] is False
    assert viewer.emit("board_snapshot", {"wave_id": board_floor["wave"]}, callback=True)["ok"] is False
    viewer.get_received()
    pick_lines(app, board_floor["picker"], 1)
    assert not {m["name"] for m in viewer.get_received()} & BOARD_EVENTS


def test_the_supervisor_of_the_warehouse_hears_the_board_and_the_wave_page_after_a_pick(app, board_floor, at_once):
    board, wave_page = socket_of(app, "supervisor"), socket_of(app, "supervisor")
    assert board.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True) == {"ok": True}
    assert wave_page.emit("join_wave", {"wave_id": board_floor["wave"]}, callback=True) == {"ok": True}
    board.get_received(), wave_page.get_received()
    pick_lines(app, board_floor["picker"], 2)
    received = board.get_received()
    rows = [m["args"][0] for m in received if m["name"] == "wave_progress"]
    assert rows[-1]["wave"] == board_floor["wave"] and rows[-1]["lines_picked"] == 2 and rows[-1]["lines"] == 8
    assert f'id="wave-{board_floor["wave"]}"' in rows[-1]["html"]
    assert "board_panels" in {m["name"] for m in received}
    assert "wave_live" not in {m["name"] for m in received}, "the board room does not get the wave page's part"
    assert "board_pickers" not in {m["name"] for m in received}, "the board page shows no per-picker table"
    live = events_named(wave_page, "wave_live")
    assert live[-1]["target"] == f"wave-live-{board_floor['wave']}" and 'data-lines-picked>2<' in live[-1]["html"]


def test_a_reconnected_board_gets_the_whole_board_from_its_snapshot(app, board_floor, at_once):
    pick_lines(app, board_floor["picker"], 3)  # while the board was away
    board = socket_of(app, "supervisor")
    answer = board.emit("board_snapshot", {"warehouse_id": board_floor["wh"]}, callback=True)
    assert answer["ok"] is True
    fragments = {f["target"]: f["html"] for f in answer["fragments"]}
    wh = board_floor["wh"]
    assert set(fragments) == {f"board-rows-{wh}", f"board-panels-{wh}"}
    assert f'id="wave-{board_floor["wave"]}"' in fragments[f"board-rows-{wh}"]
    assert "data-lines-picked>3<" in fragments[f"board-rows-{wh}"]
    pickers = board.emit("board_snapshot", {"warehouse_id": wh, "view": "pickers"}, callback=True)
    assert "data-picker-lines>3<" in pickers["fragments"][0]["html"]
    wave = board.emit("board_snapshot", {"wave_id": board_floor["wave"]}, callback=True)
    assert [f["target"] for f in wave["fragments"]] == [f"wave-live-{board_floor['wave']}"]


def test_a_burst_of_picks_gives_each_room_a_few_updates_of_the_wave_ending_with_the_last_state(
        app, board_floor, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_COALESCE_SECONDS", 0.5)
    board, wave_page = socket_of(app, "supervisor"), socket_of(app, "supervisor")
    board.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True)
    wave_page.emit("join_wave", {"wave_id": board_floor["wave"]}, callback=True)
    time.sleep(1.0)  # the release's own update, if one is still in flight
    board.get_received(), wave_page.get_received()
    pick_lines(app, board_floor["picker"], 6)  # six lines, 9 scans back to back
    rows, live, deadline = [], [], time.monotonic() + 3.0
    while time.monotonic() < deadline:
        time.sleep(0.05)
        rows += events_named(board, "wave_progress")
        live += events_named(wave_page, "wave_live")
    assert 1 <= len(rows) <= 3 and 1 <= len(live) <= 3, (len(rows), len(live))
    assert rows[-1]["lines_picked"] == 6 and "data-lines-picked>6<" in live[-1]["html"]


def test_the_background_sender_renders_the_panels_without_a_reader(app, board_floor, monkeypatch):
    """The coalesced sender runs with no request and no user: a held order (a link in the panels)
    must not need one. This failed with `current_user.can` in the panel template."""
    from sqlalchemy import update

    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking import events

    monkeypatch.setitem(app.config, "BOARD_COALESCE_SECONDS", 10)  # marks wait: the test sends them itself
    supervisor = socket_of(app, "supervisor")
    assert supervisor.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True)["ok"]
    supervisor.get_received()
    with app.app_context():  # an order of the warehouse on hold (nothing reserved for it)
        from tests.integration.conftest import make_order

        held = make_order("HOLD-1", [("A", 1)])
        db.session.execute(update(Order).where(Order.id == held).values(
            status="held", hold_reason="buyer note", warehouse_id=board_floor["wh"]))
        db.session.commit()
        events.warehouse_changed(board_floor["wh"])
    with app.app_context():  # as the background task does: an app context, no request, no user
        events.send_pending_progress()
    panels = [m["args"][0]["html"] for m in supervisor.get_received() if m["name"] == "board_panels"]
    assert panels and "buyer note" in panels[-1]


def test_the_pickers_page_hears_the_per_picker_table_after_a_pick(app, board_floor, at_once):
    pickers_page = socket_of(app, "supervisor")
    assert pickers_page.emit("join_warehouse", {"warehouse_id": board_floor["wh"], "view": "pickers"},
                             callback=True) == {"ok": True}
    pickers_page.get_received()
    pick_lines(app, board_floor["picker"], 2)
    tables = events_named(pickers_page, "board_pickers")
    assert tables and tables[-1]["target"] == f"board-pickers-{board_floor['wh']}"
    assert "data-picker-lines>2<" in tables[-1]["html"]


def test_nothing_is_read_or_rendered_for_a_board_nobody_watches(app, board_floor, at_once, no_other_sockets,
                                                                 monkeypatch):
    """Before, every board update ran the whole board and the per-picker table over the shift, with
    no page open; now only what a room with listeners shows."""
    from wms.picking import board_render

    calls = []
    for name in ("board", "pickers_of_shift", "render_row", "render_panels", "render_pickers"):
        real = getattr(board_render, name)
        monkeypatch.setattr(board_render, name,
                            lambda *a, real=real, name=name, **k: calls.append(name) or real(*a, **k))
    handheld = socket_of(app, "picker")  # connected, but in no board room
    pick_lines(app, board_floor["picker"], 2)
    assert calls == []
    board = socket_of(app, "supervisor")  # a board page opens: rows and panels, still no per-picker table
    board.emit("join_warehouse", {"warehouse_id": board_floor["wh"]}, callback=True)
    pick_lines(app, board_floor["picker"], 1)
    assert {"board", "render_row", "render_panels"} <= set(calls)
    assert "pickers_of_shift" not in calls and "render_pickers" not in calls
    assert handheld.is_connected()
