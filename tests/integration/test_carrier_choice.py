"""Carrier choice by rules set up through the rules page and API: by destination province, by weight,
by warehouse, with the explanation stored on the shipment and shown on the order page; the parcel's
price from the carrier's cost table at pack-out; the rules admin refused to a packer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.carrier_helpers import api_token
from tests.conftest import page_csrf
from tests.shipping_helpers import POOL, shipping_floor

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def desk(app, users):
    # order 0: A + 2 B in an M box = 550 g; order 1: A in an M box = 470 g
    return shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)]])


@pytest.fixture
def api(app, client, users):
    auth = {"Authorization": f"Bearer {api_token(app, users)}"}

    def call(method: str, path: str, body: dict | None = None, status: int = 200):
        response = client.open(path, method=method, json=body, headers=auth)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    return call


def _pack(desk, order_id, *, province: str | None = None):
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderLine
    from tests.shipping_helpers import order_lines
    from wms.shipping.services import PackedPackage, pack_out

    if province is not None:
        db.session.get(Order, order_id).ship_province = province
        db.session.commit()
    units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
    weight = 150 + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())
    outcome = pack_out(order_id, station_location_id=desk["station"],
                       packages=[PackedPackage(desk["boxes"]["M"], weight, units)], user_id=None)
    return outcome.shipment


def test_a_province_rule_sends_shanghai_orders_with_sf_and_the_order_page_says_why(app, desk, api, login_as):
    rule = api("POST", "/api/v1/carrier-rules", {"priority": 5, "carrier": "SF", "provinces": "上海，北京"}, 201)
    assert rule["provinces"] == "上海,北京" and rule["carrier"] == "SF"
    with app.app_context():
        shipment = _pack(desk, desk["orders"][0])
        assert shipment.carrier.code == "SF"
        assert shipment.carrier_note == f"rule #{rule['id']} (priority 5): province 上海"
        reference = shipment.reference
        guangdong = _pack(desk, desk["orders"][1], province="广东省")
        assert guangdong.carrier.code == "ZTO" and guangdong.tracking_number == POOL[0]
    page = login_as("supervisor").get(f"/orders/{desk['orders'][0]}").get_data(as_text=True)
    assert "Shipments" in page and reference in page
    assert f"rule #{rule['id']} (priority 5): province 上海" in page


def test_a_weight_rule_takes_light_parcels_and_lets_heavier_ones_through(app, desk, api):
    rule = api("POST", "/api/v1/carrier-rules", {"priority": 5, "carrier": "SF", "max_weight_g": 500}, 201)
    with app.app_context():
        heavy, light = _pack(desk, desk["orders"][0]), _pack(desk, desk["orders"][1])
        assert heavy.carrier.code == "ZTO" and heavy.carrier_note.startswith("rule #")
        assert light.carrier.code == "SF"
        assert light.carrier_note == f"rule #{rule['id']} (priority 5): weight 470 g in 0-500 g"


def test_a_warehouse_rule_applies_only_to_its_warehouse(app, desk, api):
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse

    with app.app_context():
        db.session.add(Warehouse(code="SZ1", name="Shenzhen", province="广东省"))
        db.session.commit()
    other = api("POST", "/api/v1/carrier-rules", {"priority": 1, "carrier": "SF", "warehouse": "SZ1"}, 201)
    with app.app_context():
        assert _pack(desk, desk["orders"][0]).carrier.code == "ZTO"
    api("PATCH", f"/api/v1/carrier-rules/{other['id']}", {"warehouse": "SH1"})
    with app.app_context():
        shipment = _pack(desk, desk["orders"][1])
        assert shipment.carrier.code == "SF"
        assert shipment.carrier_note == f"rule #{other['id']} (priority 1): warehouse SH1"


def test_the_parcel_is_priced_from_the_carriers_cost_table_per_province(app, desk, api):
    api("PATCH", "/api/v1/carriers/ZTO", {"cost_table": {"default": [[500, "4.00"], [1000, "6.50"]],
                                                         "广东": [[1000, "9.00"]]}})
    with app.app_context():
        assert _pack(desk, desk["orders"][0]).shipping_cost == Decimal("6.50")  # 550 g to 上海: default table
        assert _pack(desk, desk["orders"][1], province="广东省").shipping_cost == Decimal("9.00")


def test_rules_are_added_changed_and_removed_on_the_rules_page(app, desk, login_as):
    from erp_core.extensions import db
    from wms.shipping.models import CarrierRule

    client = login_as("supervisor")
    token = page_csrf(client, "/shipping/carriers/rules")
    form = {"priority": "7", "carrier": "SF", "warehouse": "SH1", "channel": "", "provinces": "浙江、江苏",
            "min_weight_g": "", "max_weight_g": "3000", "active": "on", "csrf_token": token}
    assert client.post("/shipping/carriers/rules", data=form).status_code == 302
    with app.app_context():
        rule = db.session.scalar(select(CarrierRule).filter_by(priority=7))
        assert (rule.provinces, rule.max_weight_g, rule.min_weight_g) == ("江苏,浙江", 3000, None)
        rule_id = rule.id
    bad = client.post(f"/shipping/carriers/rules/{rule_id}", data={**form, "min_weight_g": "5000"},
                      headers={"Referer": "/shipping/carriers/rules"})
    assert bad.status_code == 302
    assert "the minimum is not above the maximum" in client.get("/shipping/carriers/rules").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CarrierRule, rule_id).min_weight_g is None  # the refused change changed nothing
    client.post(f"/shipping/carriers/rules/{rule_id}", data={**form, "action": "delete"})
    with app.app_context():
        assert db.session.get(CarrierRule, rule_id) is None


def test_a_packer_may_not_see_or_change_the_rules(app, desk, login_as):
    client = login_as("packer")
    assert client.get("/shipping/carriers/rules").status_code == 403
    token = page_csrf(client, "/")
    refused = client.post("/api/v1/carrier-rules", json={"carrier": "SF"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 403
    assert client.get("/api/v1/carrier-rules").status_code == 403
