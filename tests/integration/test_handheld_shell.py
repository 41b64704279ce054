"""The handheld shell: task menu by role, a scan answered with a sound cue, scans applied once."""

from __future__ import annotations

import json

import pytest

from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def stocked_bin(app):
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai")
             .bin("A01-01-1", "pick")
             .sku("CUP-1", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"])
             .stock("CUP-1", "A01-01-1", 7)
             .build(app))
    return floor.barcode("A01-01-1")


def test_the_menu_shows_the_tasks_of_the_role(login_as):
    page = login_as("picker").get("/m/").get_data(as_text=True)
    assert "Stock lookup" in page


def test_scanning_a_bin_shows_its_contents_and_plays_the_ok_sound(app, login_as, stocked_bin):
    client = login_as("picker")
    token = page_csrf(client, "/m/lookup")
    response = client.post("/m/lookup/scan", data={"code": stocked_bin},
                           headers={"X-CSRFToken": token, "HX-Request": "true", "Idempotency-Key": "scan-1"})
    assert response.status_code == 200
    assert "scan-ok" in json.loads(response.headers["HX-Trigger"])
    assert "CUP-1" in response.get_data(as_text=True)


def test_scanning_an_item_barcode_shows_where_it_lies(app, login_as, stocked_bin):
    client = login_as("picker")
    token = page_csrf(client, "/m/lookup")
    response = client.post("/m/lookup/scan", data={"code": "6901234567892"}, headers={"X-CSRFToken": token})
    assert "A01-01-1" in response.get_data(as_text=True)


def test_an_unknown_code_says_so_and_plays_the_error_sound(app, login_as, stocked_bin):
    client = login_as("picker")
    token = page_csrf(client, "/m/lookup")
    response = client.post("/m/lookup/scan", data={"code": "NOPE-42"}, headers={"X-CSRFToken": token})
    assert "scan-error" in json.loads(response.headers["HX-Trigger"])
    assert "NOPE-42" in response.get_data(as_text=True)


def test_a_replayed_scan_returns_the_first_answer(app, login_as, stocked_bin):
    client = login_as("picker")
    headers = {"X-CSRFToken": page_csrf(client, "/m/lookup"), "Idempotency-Key": "scan-77"}
    first = client.post("/m/lookup/scan", data={"code": stocked_bin}, headers=headers)
    again = client.post("/m/lookup/scan", data={"code": stocked_bin}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_data() == first.get_data() and again.content_type.startswith("text/html")
    assert again.headers["HX-Trigger"] == first.headers["HX-Trigger"]  # the replay plays the same sound


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["Service-Worker-Allowed"] == "/"
    assert "wms-static" in response.get_data(as_text=True)
