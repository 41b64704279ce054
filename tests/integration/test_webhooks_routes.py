"""Settings > Webhooks and /api/v1/webhooks: only the admin; http, loopback, private and metadata targets
refused with the server's defaults; the secret shown once (never stored in plain, not even for an
Idempotency-Key replay); the pages' forms carry CSRF; change, switch off, delete, replay (HTMX)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.carrier_helpers import api_token
from tests.conftest import page_csrf
from tests.integration.conftest import make_order
from tests.webhook_helpers import subscribe

GOOD_URL = "https://erp.example.com/hooks/wms"


@pytest.fixture
def admin_api(app, users):
    return {"Authorization": f"Bearer {api_token(app, users, 'admin')}"}


@pytest.fixture
def erp_host(app, monkeypatch):
    """erp.example.com allowed by name (no DNS in tests); every other OUTBOUND_* setting at its default."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", ["erp.example.com"])


def _count(app, model) -> int:
    from erp_core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("url", ["http://erp.example.com/hooks", "https://127.0.0.1/hooks", "https://localhost/x",
                                 "https://169.254.169.254/latest/meta-data/", "https://10.0.0.7/hooks",
                                 "https://192.168.1.20:8443/hooks", "https://[::1]/hooks", "ftp://erp.example.com/"])
def test_http_loopback_private_and_metadata_targets_are_refused_by_default(app, client, admin_api, erp_host, url):
    from erp_core.webhooks.models import WebhookSubscription

    response = client.post("/api/v1/webhooks", json={"url": url, "events": ["order.created"]},
                           headers={**admin_api, "Idempotency-Key": uuid.uuid4().hex})
    assert (response.status_code, response.json["code"]) == (422, "url_not_allowed")
    assert _count(app, WebhookSubscription) == 0


def test_a_patch_to_a_private_target_is_refused_and_changes_nothing(client, admin_api, erp_host):
    webhook_id, _secret = subscribe(client, admin_api, GOOD_URL, ["order.created"])
    response = client.patch(f"/api/v1/webhooks/{webhook_id}", json={"url": "https://169.254.169.254/"},
                            headers=admin_api)
    assert (response.status_code, response.json["code"]) == (422, "url_not_allowed")
    assert client.get(f"/api/v1/webhooks/{webhook_id}", headers=admin_api).json["url"] == GOOD_URL


def test_the_secret_is_shown_once_and_a_replayed_creation_tells_the_same_one_without_storing_it(
        app, client, admin_api, erp_host):
    from erp_core.api.models import IdempotencyRecord
    from erp_core.extensions import db
    from erp_core.webhooks.models import WebhookSubscription

    headers = {**admin_api, "Idempotency-Key": "create-hook-1"}
    body = {"url": GOOD_URL, "events": ["order.created", "shipment.shipped"], "description": "ERP"}
    first = client.post("/api/v1/webhooks", json=body, headers=headers)
    again = client.post("/api/v1/webhooks", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    secret = first.json["secret"]
    assert secret.startswith("whsec_") and again.json["secret"] == secret
    assert again.headers["Idempotent-Replayed"] == "true" and _count(app, WebhookSubscription) == 1
    shown = client.get(f"/api/v1/webhooks/{first.json['id']}", headers=admin_api).json
    assert "secret" not in shown and shown["secret_set"] is True
    assert shown["events"] == ["order.created", "shipment.shipped"]
    with app.app_context():
        stored = [r.response_body for r in db.session.scalars(select(IdempotencyRecord))]
        column = db.session.scalar(select(WebhookSubscription.secret))
    assert stored and all(secret not in text for text in stored)  # the replayable answer keeps it encrypted
    assert column.startswith("fernet:") and secret not in column


def test_unknown_events_are_refused(client, admin_api, erp_host):
    response = client.post("/api/v1/webhooks", json={"url": GOOD_URL, "events": ["order.deleted"]},
                           headers={**admin_api, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["supervisor", "finance", "viewer", "picker"])
def test_only_the_admin_may_see_or_manage_webhooks(app, client, users, login_as, role, admin_api, erp_host):
    webhook_id, _secret = subscribe(client, admin_api, GOOD_URL, ["order.created"])
    token = {"Authorization": f"Bearer {api_token(app, users, role)}"}
    assert client.get("/api/v1/webhooks", headers=token).status_code == 403
    assert client.post(f"/api/v1/webhooks/{webhook_id}/rotate-secret", headers=token).status_code == 403
    assert client.delete(f"/api/v1/webhooks/{webhook_id}", headers=token).status_code == 403
    login_as(role)
    assert client.get("/settings/webhooks/").status_code == 403
    assert "/settings/webhooks/" not in client.get("/").get_data(as_text=True)


def test_the_admin_creates_a_webhook_on_the_page_and_sees_its_secret_once(app, client, login_as, erp_host):
    from erp_core.webhooks.models import WebhookSubscription

    login_as("admin")
    assert 'href="/settings/webhooks/"' in client.get("/").get_data(as_text=True)  # Settings > Webhooks
    # without the CSRF token nothing is created
    refused = client.post("/settings/webhooks/", data={"url": GOOD_URL, "events": ["order.created"]})
    assert refused.status_code == 400 and _count(app, WebhookSubscription) == 0
    csrf = page_csrf(client, "/settings/webhooks/")
    created = client.post("/settings/webhooks/", data={
        "url": GOOD_URL, "events": ["order.created", "tracking.exception"], "description": "ERP", "csrf_token": csrf})
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    with app.app_context():
        from erp_core.crypto import decrypt
        from erp_core.extensions import db

        subscription = db.session.scalar(select(WebhookSubscription))
        secret = decrypt(subscription.secret)
        assert subscription.events == ["order.created", "tracking.exception"]
    assert secret in page
    shown = client.get(f"/settings/webhooks/{subscription.id}").get_data(as_text=True)
    assert secret not in shown and GOOD_URL in shown
    assert secret not in client.get("/settings/webhooks/").get_data(as_text=True)


def test_a_refused_target_on_the_page_keeps_what_was_typed_and_says_why(app, client, login_as):
    from erp_core.webhooks.models import WebhookSubscription

    login_as("admin")
    csrf = page_csrf(client, "/settings/webhooks/")
    response = client.post("/settings/webhooks/", data={"url": "https://169.254.169.254/latest", "description": "x",
                                                        "events": ["order.created"], "csrf_token": csrf})
    assert response.status_code == 422 and _count(app, WebhookSubscription) == 0
    page = response.get_data(as_text=True)
    assert "169.254.169.254" in page and "may not be called" in page


def test_the_admin_switches_a_webhook_off_rotates_its_secret_and_deletes_it(app, client, login_as, admin_api,
                                                                          erp_host):
    from erp_core.webhooks.models import WebhookSubscription

    webhook_id, secret = subscribe(client, admin_api, GOOD_URL, ["order.created"])
    login_as("admin")
    csrf = page_csrf(client, f"/settings/webhooks/{webhook_id}")
    saved = client.post(f"/settings/webhooks/{webhook_id}", data={"url": GOOD_URL, "events": ["order.created",
                        "order.status_changed"], "description": "off for now", "csrf_token": csrf})
    assert saved.status_code == 302
    shown = client.get(f"/api/v1/webhooks/{webhook_id}", headers=admin_api).json
    assert shown["active"] is False and shown["events"] == ["order.created", "order.status_changed"]
    rotated = client.post(f"/settings/webhooks/{webhook_id}/rotate-secret", data={"csrf_token": csrf})
    page = rotated.get_data(as_text=True)
    assert rotated.status_code == 200 and "whsec_" in page and secret not in page
    assert client.post(f"/settings/webhooks/{webhook_id}/delete", data={"csrf_token": csrf}).status_code == 302
    assert _count(app, WebhookSubscription) == 0


def test_the_delivery_log_page_replays_a_delivery_with_htmx(app, client, login_as, world, admin_api, erp_host):
    from erp_core.extensions import db
    from erp_core.webhooks.models import WebhookDelivery

    webhook_id, _secret = subscribe(client, admin_api, GOOD_URL, ["order.created"])
    with app.app_context():
        make_order("TM-6001", [("A", 1)])
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
        db.session.get(WebhookDelivery, delivery_id).status = "failed"
        db.session.commit()
    login_as("admin")
    page = client.get(f"/settings/webhooks/{webhook_id}?status=failed").get_data(as_text=True)
    assert f'id="delivery-{delivery_id}"' in page
    csrf = page_csrf(client, f"/settings/webhooks/{webhook_id}")
    assert client.post(f"/settings/webhooks/deliveries/{delivery_id}/replay", headers={"HX-Request": "true"}
                       ).status_code == 400  # no CSRF token
    fragment = client.post(f"/settings/webhooks/deliveries/{delivery_id}/replay",
                           headers={"HX-Request": "true", "X-CSRFToken": csrf})
    assert fragment.status_code == 200
    assert fragment.get_data(as_text=True).lstrip().startswith(f'<tr id="delivery-{delivery_id}"')
    with app.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).status == "pending"


def test_a_switched_off_webhook_is_not_replayed(app, client, world, admin_api, erp_host):
    from erp_core.extensions import db
    from erp_core.webhooks.models import WebhookDelivery

    webhook_id, _secret = subscribe(client, admin_api, GOOD_URL, ["order.created"])
    with app.app_context():
        make_order("TM-7001", [("A", 1)])
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
    assert client.patch(f"/api/v1/webhooks/{webhook_id}", json={"active": False}, headers=admin_api).status_code == 200
    refused = client.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay", headers=admin_api)
    assert (refused.status_code, refused.json["code"]) == (409, "webhook_inactive")
    assert client.get("/api/v1/webhook-deliveries/999999", headers=admin_api).json["code"] == "unknown_webhook_delivery"
    assert client.get("/api/v1/webhooks/999999", headers=admin_api).json["code"] == "unknown_webhook"
