"""Live interrupts on the handheld: the office intercepts an order on picker A's cart, or gives A's
cart to picker B, and A's handheld hears it over Socket.IO at once (their own room: B hears nothing
of A's order); A's next scan of the stopped order's task is refused with what to do, in Chinese too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, login, page_csrf
from tests.integration.test_picking import _release
from tests.integration.test_picking import floor as pick_floor  # noqa: F401  (fixture)
from tests.integration.test_scan_routes_atomic import Handheld, assert_refused, sound
from wms.realtime import socketio


@pytest.fixture
def two_pickers(app, users, pick_floor):  # noqa: F811
    """Picker A ("picker") with a cluster cart claimed, picker B ("picker2") with another."""
    from erp_core.auth.services import create_user
    from erp_core.extensions import db
    from wms.picking.services import pick_list_for

    _release(app, pick_floor, cart_items=4, cart_slots=2)
    with app.app_context():
        b = create_user("picker2", PASSWORD, "picker", full_name="Picker Two").id
        a_list = pick_list_for(pick_floor["picker"], None)
        b_list = pick_list_for(b, None)
        assert a_list is not None and b_list is not None and a_list.id != b_list.id
        a_task = next(t for t in a_list.tasks if t.status == "open")
        result = {**pick_floor, "a": pick_floor["picker"], "b": b, "a_list": a_list.id, "b_list": b_list.id,
                  "a_task": a_task.id, "a_order": a_task.order_id, "a_bin": a_task.location.barcode}
        db.session.remove()
        return result


def _socket(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    sock.get_received()
    return client, sock


def _interrupts(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "handheld_interrupt"]


def _intercept(client, order_id, reason="buyer cancelled"):
    token = page_csrf(client, f"/orders/{order_id}")
    return client.post(f"/orders/{order_id}/intercept", data={"reason": reason, "csrf_token": token})


def test_intercepting_an_order_on_a_cart_tells_its_picker_only(app, two_pickers, login_as):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    # given pickers A and B on their handhelds, A's cart holding order X
    _a_client, a_sock = _socket(app, "picker")
    _b_client, b_sock = _socket(app, "picker2")
    # when the office intercepts X
    assert _intercept(login_as("supervisor"), two_pickers["a_order"]).status_code == 302
    # then A hears it, with the order and what to do in both languages; B hears nothing
    [heard] = _interrupts(a_sock)
    with app.app_context():
        order = db.session.get(Order, two_pickers["a_order"])
        assert order.status in ("intercepted", "cancelled")
        external = order.external_id
    assert heard["kind"] == "order_stopped" and heard["order"] == external
    assert heard["cart"] == f"CART-{two_pickers['a_list']}"
    assert external in heard["messages"]["en"] and "exception tote" in heard["messages"]["en"]
    assert "异常周转箱" in heard["messages"]["zh"] and "还库" in heard["messages"]["zh"]
    assert _interrupts(b_sock) == []
    a_sock.disconnect()
    b_sock.disconnect()


def test_the_next_scan_of_the_stopped_orders_task_is_refused_with_what_to_do(app, two_pickers, client):
    # given picker A's handheld in Chinese, and the order of A's task intercepted
    from erp_core.orders.intercept import intercept_order

    assert login(client, "picker").status_code == 302
    handheld = Handheld(client)
    client.post("/settings/language", data={"locale": "zh", "next": "/m/", "csrf_token": handheld.token})
    with app.app_context():
        intercept_order(two_pickers["a_order"], "buyer cancelled")
    # when A scans the bin of the task the screen still shows
    refused = handheld.scan("/picking/pick/scan", task_id=two_pickers["a_task"], code=two_pickers["a_bin"])
    # then the scan is refused with the code's Chinese text: the exception tote and the put-back
    message = assert_refused(refused)
    assert "异常周转箱" in message and "还库" in message
    # and the screen has moved on to the next pick of the cart (not the stopped order's)
    assert f'name="task_id" value="{two_pickers["a_task"]}"' not in refused.get_data(as_text=True)


def test_the_refusal_names_the_code_in_english(app, two_pickers, client):
    from erp_core.orders.intercept import intercept_order
    from wms.picking.interrupts import OrderStopped, refuse_stopped_task

    with app.app_context():
        intercept_order(two_pickers["a_order"], "buyer cancelled")
        with pytest.raises(OrderStopped) as refused:
            refuse_stopped_task(two_pickers["a_task"], two_pickers["a"])
    assert refused.value.code in ("order_intercepted_on_cart", "order_cancelled_on_cart")
    assert "exception tote" in str(refused.value.message) and "put-back" in str(refused.value.message)


def test_reassigning_a_cart_tells_the_picker_who_lost_it_and_the_one_who_got_it(app, two_pickers, login_as):
    # given both pickers on their handhelds
    a_client, a_sock = _socket(app, "picker")
    _b_client, b_sock = _socket(app, "picker2")
    # when the supervisor gives A's cart to B
    office = login_as("supervisor")
    token = page_csrf(office, "/picking/waves")
    response = office.post(f"/picking/lists/{two_pickers['a_list']}/assign",
                           data={"picker_id": two_pickers["b"], "csrf_token": token})
    assert response.status_code == 302
    # then A is told at once that the cart went to B; B that it is now theirs
    [lost] = _interrupts(a_sock)
    assert lost["kind"] == "cart_reassigned" and lost["cart"] == f"CART-{two_pickers['a_list']}"
    assert "Picker Two" in lost["messages"]["en"] and "拣货车" in lost["messages"]["zh"]
    [got] = _interrupts(b_sock)
    assert got["kind"] == "cart_assigned" and got["cart"] == lost["cart"]
    # and A's next scan on the old screen is refused: the cart is someone else's now
    refused = Handheld(a_client).scan("/picking/pick/scan", task_id=two_pickers["a_task"], code=two_pickers["a_bin"])
    assert "given to another picker" in assert_refused(refused)
    a_sock.disconnect()
    b_sock.disconnect()


def test_a_rolled_back_interception_tells_nobody(app, two_pickers, monkeypatch):
    from erp_core.errors import Conflict
    from erp_core.orders.intercept import intercept_order
    from wms.picking import services

    _client, a_sock = _socket(app, "picker")

    def refuse(*args, **kwargs):
        raise Conflict("the floor refused", code="conflict")

    monkeypatch.setattr(services, "cancel_order_tasks", refuse)
    with app.app_context(), pytest.raises(Conflict):
        intercept_order(two_pickers["a_order"], "buyer cancelled")
    assert _interrupts(a_sock) == []
    a_sock.disconnect()


def test_an_ok_scan_still_works_on_a_cart_with_nothing_stopped(app, two_pickers, client):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    assert login(client, "picker").status_code == 302
    answer = Handheld(client).scan("/picking/pick/scan", task_id=two_pickers["a_task"], code=two_pickers["a_bin"])
    assert sound(answer)[0] == "scan-ok"
    with app.app_context():
        assert db.session.scalar(select(PickTask.status).filter_by(id=two_pickers["a_task"])) == "open"
