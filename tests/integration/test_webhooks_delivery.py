"""Sending webhooks: a failing receiver is retried with backoff (1, 5, 30 min, 2 h, 12 h, then failed),
each attempt logged; replay sends the same delivery again with a new signature; a sender that dies
mid-send leaves the delivery due again; two senders at once send it once; the target is checked
again right before each send."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.carrier_helpers import api_token
from tests.concurrency import race
from tests.integration.conftest import make_order
from tests.webhook_helpers import Receiver, allow_local_targets, send, subscribe

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def receiver(app, monkeypatch):
    allow_local_targets(app, monkeypatch)
    with Receiver() as running:
        yield running


@pytest.fixture
def admin_api(app, users):
    return {"Authorization": f"Bearer {api_token(app, users, 'admin')}"}


@pytest.fixture
def one_delivery(app, client, world, receiver, admin_api):
    """A webhook for new orders and one order created: one delivery due now. Returns (webhook id, now)."""
    from erp_core.models_base import utcnow

    webhook_id, receiver.secret = subscribe(client, admin_api, receiver.url, ["order.created"])
    with app.app_context():
        make_order("TM-5001", [("A", 1)])
    return webhook_id, utcnow()


def _log(client, admin_api, webhook_id) -> dict:
    [delivery] = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=admin_api).json["items"]
    return delivery


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(app, client, receiver, admin_api, one_delivery):
    webhook_id, now = one_delivery
    receiver.fail_next = 2
    # when the receiver answers 500 the first time, the delivery waits a minute
    assert send(app, now=now) == {"delivered": 0, "retrying": 1, "failed": 0}
    assert send(app, now=now + timedelta(seconds=59)) == {"delivered": 0, "retrying": 0, "failed": 0}
    # then five minutes after the second failure
    assert send(app, now=now + timedelta(seconds=61))["retrying"] == 1
    assert send(app, now=now + timedelta(seconds=61 + 299))["retrying"] == 0
    assert send(app, now=now + timedelta(seconds=61 + 301))["delivered"] == 1
    # the same delivery three times, each signed anew; every attempt logged with the answer
    assert len({r.headers["X-WMS-Delivery"] for r in receiver.received}) == 1 and len(receiver.received) == 3
    assert all(r.signature_ok for r in receiver.received)
    delivery = _log(client, admin_api, webhook_id)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 3, 200)
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 200]
    assert delivery["attempt_log"][0]["response_body"] == "receiver down for maintenance"
    assert delivery["attempt_log"][0]["error"] == "HTTP 500"


def test_after_the_last_retry_the_delivery_fails_and_a_replay_delivers_it(app, client, receiver, admin_api,
                                                                         one_delivery):
    webhook_id, now = one_delivery
    receiver.fail_next = 6
    at = now
    for wait in (0, 1, 5, 30, 120, 720):  # minutes: the first try, then the backoff
        at += timedelta(minutes=wait, seconds=1)
        send(app, now=at)
    delivery = _log(client, admin_api, webhook_id)
    assert (delivery["status"], delivery["attempts"]) == ("failed", 6)
    assert send(app, now=at + timedelta(days=2)) == {"delivered": 0, "retrying": 0, "failed": 0}
    # when the admin replays it, the next round sends the same payload with a fresh signature
    replayed = client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/replay", headers=admin_api)
    assert replayed.status_code == 202 and replayed.json["status"] == "pending"
    assert send(app)["delivered"] == 1
    last = receiver.received[-1]
    assert last.signature_ok and last.raw == receiver.received[0].raw
    assert last.headers["X-WMS-Delivery"] == str(delivery["id"])
    after = _log(client, admin_api, webhook_id)
    assert after["status"] == "delivered" and [a["replay"] for a in after["attempt_log"]] == [False] * 6 + [True]


def test_replaying_a_delivered_event_sends_it_once_more(app, client, receiver, admin_api, one_delivery):
    webhook_id, _now = one_delivery
    send(app)
    delivery_id = _log(client, admin_api, webhook_id)["id"]
    assert client.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay", headers=admin_api).status_code == 202
    send(app)
    assert len(receiver.received) == 2 and receiver.received[0].raw == receiver.received[1].raw
    assert all(r.signature_ok for r in receiver.received)


def test_a_sender_that_dies_mid_send_leaves_the_delivery_due_after_its_lease(app, receiver, one_delivery):
    from erp_core.webhooks.delivery import LEASE, _claim

    _webhook_id, now = one_delivery
    with app.app_context():
        assert len(_claim(10, now)) == 1  # claimed, then the process is killed before it sends
    assert send(app, now=now + timedelta(seconds=30))["delivered"] == 0  # leased: nobody else sends it
    assert send(app, now=now + LEASE + timedelta(seconds=1))["delivered"] == 1
    assert len(receiver.received) == 1


def test_two_senders_at_once_send_a_delivery_once(app, receiver, one_delivery):
    from erp_core.webhooks.delivery import run_webhook_deliveries

    outcomes = race(app, run_webhook_deliveries, run_webhook_deliveries)
    assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
    assert sorted(o.value["delivered"] for o in outcomes) == [0, 1]
    assert len(receiver.received) == 1


def test_the_target_is_checked_again_right_before_each_send(app, client, receiver, admin_api, one_delivery,
                                                           monkeypatch):
    webhook_id, _now = one_delivery
    # when the server's settings no longer allow the local address, nothing is posted there
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", False)
    assert send(app)["retrying"] == 1
    assert receiver.received == []
    delivery = _log(client, admin_api, webhook_id)
    assert delivery["attempt_log"][0]["status_code"] is None
    assert delivery["last_error"].startswith("url_not_allowed")


def test_a_new_secret_signs_the_next_deliveries_and_the_old_one_no_longer_verifies(app, client, receiver,
                                                                                  admin_api, one_delivery):
    webhook_id, _now = one_delivery
    old = receiver.secret
    rotated = client.post(f"/api/v1/webhooks/{webhook_id}/rotate-secret",
                          headers={**admin_api, "Idempotency-Key": uuid.uuid4().hex})
    assert rotated.status_code == 200 and rotated.json["secret"] != old
    receiver.secret = rotated.json["secret"]
    send(app)
    assert receiver.received[0].signature_ok
    from tests.webhook_helpers import verify_signature

    assert not verify_signature(old, receiver.received[0].headers, receiver.received[0].raw)
