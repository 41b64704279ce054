"""Socket.IO: connections need a login, events check the role, emits happen after commit only."""

from __future__ import annotations

import pytest

from tests.builders import FloorBuilder
from wms.realtime import broadcast, socketio, warehouse_room


@pytest.fixture
def two_warehouses(app, users):
    from erp_core.auth.services import update_user

    with app.app_context():
        floor = FloorBuilder().warehouse("SH1", "Shanghai").warehouse("SZ1", "Shenzhen").build()
        update_user(users["picker"], full_name="p", role="picker", active=True, warehouse_ids=[floor["SH1"]])
        update_user(users["supervisor"], full_name="s", role="supervisor", active=True,
                    warehouse_ids=[floor["SH1"]])
        return floor["SH1"], floor["SZ1"]


def test_an_anonymous_socket_is_refused(app, client):
    sock = socketio.test_client(app, flask_test_client=client)
    assert not sock.is_connected()


def test_a_supervisor_joins_only_their_warehouses_board_rooms(app, login_as, two_warehouses):
    sh, sz = two_warehouses
    client = login_as("supervisor")
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    assert sock.emit("join_warehouse", {"warehouse_id": sh}, callback=True) == {"ok": True}
    assert sock.emit("join_warehouse", {"warehouse_id": sz}, callback=True) == {"ok": False, "error": "forbidden"}
    sock.disconnect()


def test_emits_wait_for_the_commit_and_a_rollback_sends_nothing(app, login_as, two_warehouses):
    from erp_core.db import atomic, on_commit

    sh, _sz = two_warehouses
    client = login_as("supervisor")
    sock = socketio.test_client(app, flask_test_client=client)
    sock.emit("join_warehouse", {"warehouse_id": sh}, callback=True)
    sock.get_received()
    with app.app_context():
        with pytest.raises(RuntimeError), atomic():
            on_commit(lambda: broadcast("wave_progress", {"wave": 1}, warehouse_room(sh)))
            raise RuntimeError("the business change failed")
        assert sock.get_received() == []
        with atomic():
            on_commit(lambda: broadcast("wave_progress", {"wave": 2}, warehouse_room(sh)))
            assert sock.get_received() == []  # not before the commit
    received = sock.get_received()
    assert [(m["name"], m["args"][0]) for m in received] == [("wave_progress", {"wave": 2})]
