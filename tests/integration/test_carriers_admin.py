"""The carriers admin through its pages and the REST API: carriers added and changed by a supervisor
and refused to a packer, the API key never shown back, number pools imported (a range with its
check digits, a pasted list, an uploaded file) all or nothing with each bad line reported, the pool's
counts with the low-pool warning; and the last numbers of a pool raced by eight desks."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.carrier_helpers import api_token
from tests.concurrency import race
from tests.conftest import page_csrf

pytestmark = pytest.mark.timeout(300)


def _carrier_form(**overrides) -> dict:
    form = {"code": "EMS", "name": "China Post EMS", "name_zh": "中国邮政 EMS", "kind": "pool", "adapter": "",
            "check_rule": "s10", "label_format": "100x150", "api_url": "", "api_key": "", "cost_table": "",
            "tracking_stale_hours": "96", "active": "on"}
    form.update(overrides)
    return form


def _numbers(app, code: str) -> list[str]:
    from erp_core.extensions import db
    from wms.shipping.models import Carrier, TrackingNumber

    with app.app_context():
        return list(db.session.scalars(select(TrackingNumber.number)
                                       .join(Carrier, Carrier.id == TrackingNumber.carrier_id)
                                       .where(Carrier.code == code).order_by(TrackingNumber.id)))


def test_a_supervisor_adds_a_carrier_on_the_page_and_its_key_is_never_shown(app, login_as):
    from erp_core.extensions import db
    from wms.shipping.models import Carrier

    client = login_as("supervisor")
    token = page_csrf(client, "/shipping/carriers/")
    response = client.post("/shipping/carriers/", data={**_carrier_form(api_key="s3cret-key-123"), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/shipping/carriers/EMS")
    page = client.get("/shipping/carriers/EMS").get_data(as_text=True)
    assert "China Post EMS" in page and "s3cret-key-123" not in page
    with app.app_context():
        carrier = db.session.scalar(select(Carrier).filter_by(code="EMS"))
        assert (carrier.check_rule, carrier.tracking_stale_hours, carrier.api_key) == ("s10", 96, "s3cret-key-123")
    # saving the form with the key left blank keeps the key
    client.post("/shipping/carriers/EMS", data={**_carrier_form(name="EMS Express"), "csrf_token": token})
    with app.app_context():
        carrier = db.session.scalar(select(Carrier).filter_by(code="EMS"))
        assert (carrier.name, carrier.api_key) == ("EMS Express", "s3cret-key-123")


def test_a_packer_may_not_see_or_change_carriers(app, login_as):
    client = login_as("packer")
    assert client.get("/shipping/carriers/").status_code == 403
    token = page_csrf(client, "/")
    assert client.post("/shipping/carriers/", data={**_carrier_form(), "csrf_token": token}).status_code == 403
    assert client.get("/api/v1/carriers").status_code == 403
    assert client.post("/api/v1/carriers", json={"code": "EMS", "name": "EMS"},
                       headers={"X-CSRFToken": token}).status_code == 403
    assert _numbers(app, "EMS") == []


def test_the_api_creates_lists_and_patches_carriers_without_returning_the_key(app, client, users):
    headers = {"Authorization": f"Bearer {api_token(app, users)}", "Idempotency-Key": "carrier-jt"}
    body = {"code": "jt", "name": "J&T Express", "name_zh": "极兔速递", "kind": "manual", "api_key": "k-1",
            "cost_table": {"default": [[1000, "4.50"]]}}
    created = client.post("/api/v1/carriers", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["code"] == "JT" and created.json["api_key_set"] is True and "api_key" not in created.json
    replayed = client.post("/api/v1/carriers", json=body, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    auth = {"Authorization": headers["Authorization"]}
    patched = client.patch("/api/v1/carriers/JT", json={"tracking_stale_hours": 48, "active": False}, headers=auth)
    assert patched.status_code == 200 and patched.json["tracking_stale_hours"] == 48
    assert patched.json["active"] is False and patched.json["api_key_set"] is True
    listed = client.get("/api/v1/carriers", headers=auth).json
    assert [c["code"] for c in listed] == ["JT"] and "k-1" not in str(listed)


@pytest.mark.parametrize(("body", "code"), [
    ({"code": "EMS", "name": "EMS", "kind": "api", "adapter": "nope"}, "carrier_adapter_unknown"),
    ({"code": "EMS", "name": "EMS", "kind": "api", "adapter": "http_json"}, "carrier_api_url_required"),
    ({"code": "EMS", "name": "EMS", "cost_table": {"default": [[0, "5"]]}}, "bad_cost_table"),
    ({"code": "E M S", "name": "EMS"}, "bad_carrier_code"),
])
def test_a_carrier_with_a_bad_set_up_is_refused_and_nothing_is_added(app, client, users, body, code):
    from erp_core.extensions import db
    from wms.shipping.models import Carrier

    response = client.post("/api/v1/carriers", json=body, headers={"Authorization": f"Bearer {api_token(app, users)}"})
    assert (response.status_code, response.json["code"]) == (422, code)
    with app.app_context():
        assert db.session.scalar(select(func.count(Carrier.id))) == 0


@pytest.fixture
def ems(app, login_as):
    client = login_as("supervisor")
    token = page_csrf(client, "/shipping/carriers/")
    client.post("/shipping/carriers/", data={**_carrier_form(), "csrf_token": token})
    return client, token


def test_a_range_is_imported_with_each_s10_check_digit(app, ems):
    client, token = ems
    response = client.post("/shipping/carriers/EMS/numbers", data={
        "mode": "range", "prefix": "EA", "start": "47312482", "end": "47312486", "suffix": "CN",
        "add_check_digit": "on", "csrf_token": token})
    assert response.status_code == 302
    numbers = _numbers(app, "EMS")
    assert len(numbers) == 5 and numbers[0] == "EA473124829CN"
    page = client.get("/shipping/carriers/EMS").get_data(as_text=True)
    assert "Fewer than 200 free numbers are left" in page  # 5 free: the low-pool warning shows


def test_a_list_with_a_bad_line_is_refused_whole_with_its_file_line_and_reason(app, ems):
    client, token = ems
    upload = (io.BytesIO(b"EA473124829CN\nEA473124838CN\n"), "ems-batch.txt")
    response = client.post("/shipping/carriers/EMS/numbers", data={
        "mode": "list", "numbers": "AB123456785CN\nAB123456784CN\nAB123456785CN\n", "files": upload,
        "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 3 bad line(s)" in page
    assert "Wrong check digit" in page and "Twice in this import" in page and "ems-batch.txt" in page
    assert _numbers(app, "EMS") == []


def test_numbers_already_in_the_pool_are_refused_through_the_api(app, users, ems):
    auth = {"Authorization": f"Bearer {api_token(app, users)}"}
    client = app.test_client()  # a middleware with its token and no session cookie (a cookie would need CSRF)
    first = client.post("/api/v1/carriers/EMS/numbers", json={"numbers": ["AB123456785CN"]}, headers=auth)
    assert first.status_code == 201 and first.json["imported"] == 1 and first.json["pool"]["free"] == 1
    again = client.post("/api/v1/carriers/EMS/numbers", json={"numbers": ["EA473124829CN", "ab 123456785 cn"]},
                        headers=auth)
    assert again.status_code == 422 and again.json["code"] == "pool_import_refused"
    assert again.json["problems"] == [{"source": "api", "line": 2, "number": "AB123456785CN",
                                       "reason": "already_in_pool"}]
    assert _numbers(app, "EMS") == ["AB123456785CN"]


def test_the_last_three_numbers_raced_by_eight_desks_go_to_three_of_them(app, users):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from wms.shipping.carriers.pool import claim_number
    from wms.shipping.models import Carrier, TrackingNumber

    with app.app_context():
        carrier = Carrier(code="ZTO", name="ZTO", kind="pool")
        db.session.add(carrier)
        db.session.flush()
        numbers = [f"ZT{n:010d}" for n in range(1, 11)]
        db.session.add_all([TrackingNumber(carrier_id=carrier.id, number=n, status="used" if i < 7 else "free")
                            for i, n in enumerate(numbers)])
        db.session.commit()
        carrier_id = carrier.id

    def claim():
        with atomic():
            return claim_number(carrier_id)

    outcomes = race(app, *[claim] * 8)
    assert sorted(o.kind for o in outcomes) == ["ok"] * 3 + ["refused"] * 5, [str(o) for o in outcomes]
    assert {o.code for o in outcomes if not o.ok} == {"pool_empty"}
    assert sorted(o.value for o in outcomes if o.ok) == numbers[7:]
    with app.app_context():
        assert db.session.scalar(select(func.count(TrackingNumber.id)).filter_by(status="free")) == 0
