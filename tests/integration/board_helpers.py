"""A warehouse with one released wave for the live-board tests (tests/integration/test_board_*.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder


@pytest.fixture
def board_floor(app, users):
    """SH1 with 6 released orders: P4 (one unit) in a single-item wave, the other five in the first wave
    (8 pick lines, 12 units) on one cart; SZ1 next to it. The
    supervisor works in SH1 only, the viewer in SZ1 only."""
    from erp_core.auth.models import User
    from erp_core.auth.services import update_user
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海", key="wh")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Item A", barcodes=["BC-A"]).stock("A", "A01-01-1", 10)
                 .sku("B", "Item B", barcodes=["BC-B"]).stock("B", "A01-05-1", 10)
                 .sku("C", "Item C", barcodes=["BC-C"]).stock("C", "A02-03-1", 10)
                 .warehouse("SZ1", "Shenzhen", province="广东", key="other")
                 .build())
        orders = [make_order(f"P{i}", lines, phone=f"1380013800{i}") for i, lines in enumerate(
            [[("A", 1), ("B", 2)], [("A", 2)], [("C", 1), ("B", 1)], [("A", 1), ("C", 1)], [("B", 1)], [("C", 3)]])]
        for order_id in orders:
            approve_order(order_id)
        waves, _plan = release_waves(floor["wh"], WaveRules(cart_items=20, cart_slots=6))
        update_user(users["supervisor"], full_name="Supervisor", role="supervisor", active=True,
                    warehouse_ids=[floor["wh"]])
        update_user(users["viewer"], full_name="Viewer", role="viewer", active=True, warehouse_ids=[floor["other"]])
        picker = db.session.scalar(select(User.id).filter_by(username="picker"))
        return {"wh": floor["wh"], "other": floor["other"], "wave": waves[0].id, "orders": orders,
                "picker": picker}


def pick_lines(app, picker_id: int, n: int) -> list[int]:
    """The picker finishes the next `n` pick lines of their cart (every unit of each)."""
    from erp_core.extensions import db
    from wms.picking.services import confirm_pick, next_task, pick_list_for

    done = []
    with app.app_context():
        pick_list = pick_list_for(picker_id, None)
        for _ in range(n):
            task = next_task(pick_list)
            for _unit in range(task.quantity - task.picked_quantity):
                confirm_pick(task.id, bin_scan=task.location.barcode, item_scan=f"BC-{task.sku.code}",
                             user_id=picker_id)
            done.append(task.id)
            db.session.refresh(pick_list)
    return done


def socket_of(app, role: str):
    """A Socket.IO test client logged in as `role` (a client of its own: two users at once)."""
    from tests.conftest import login
    from wms.realtime import socketio

    client = app.test_client()
    assert login(client, role).status_code == 302
    return socketio.test_client(app, flask_test_client=client)


def events_named(sock, name: str) -> list[dict]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == name]


@pytest.fixture
def no_other_sockets(app):  # noqa: ARG001  (the socket server is bound to the app)
    """Disconnect the socket clients earlier tests left connected (the server outlives a test, and a
    stale client of another test's warehouse 1 would count as a listener of this test's)."""
    from wms.realtime import socketio

    for sid, _eio_sid in list(socketio.server.manager.get_participants("/", None)):
        socketio.server.disconnect(sid, namespace="/")
