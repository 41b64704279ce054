"""The screens the scan queue fetches again after a replay (static/js/scanner.js): the page GET takes the
step the screen was at from its query arguments (the hidden fields of its scan form) and keeps it only
while it still holds; anything stale or foreign falls back to the first step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import login


@pytest.fixture
def cart(app, users):
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.models import PickTask
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Cup", barcodes=["BC-A"]).stock("A", "A01-01-1", 5)
                 .sku("B", "Lid", barcodes=["BC-B"]).stock("B", "A02-02-1", 5)
                 .build())
        approve_order(make_order("R1", [("A", 2), ("B", 1)]))
        release_waves(floor["SH1"], WaveRules(cart_slots=4))
        tasks = db.session.scalars(select(PickTask).order_by(PickTask.sequence)).all()
        return {"first": tasks[0].id, "second": tasks[1].id, "bin": tasks[0].location.barcode}


def test_the_pick_screen_fetched_with_the_accepted_bin_of_the_next_task_stays_at_the_item_step(client, users, cart):
    login(client, "picker")
    page = client.get("/picking/pick", query_string={"task_id": cart["first"], "bin": cart["bin"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-step="item"' in text
    assert f'name="bin" value="{cart["bin"]}"' in text


def test_the_pick_screen_fetched_with_another_tasks_step_starts_at_the_bin(client, users, cart):
    login(client, "picker")
    page = client.get("/picking/pick", query_string={"task_id": cart["second"], "bin": cart["bin"]})
    assert 'data-step="bin"' in page.get_data(as_text=True)
    assert 'data-step="bin"' in client.get("/picking/pick").get_data(as_text=True)


@pytest.fixture
def count(app):
    from wms.locations.count_planning import create_count

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", key="wh")
                 .bin("A01-01-1", "pick", key="counted")
                 .bin("A01-02-1", "pick", key="other")
                 .sku("CUP", "Cup", barcodes=["BC-CUP"], key="cup")
                 .stock("cup", "counted", 4)
                 .build())
        return {"task": create_count(floor["wh"], [floor["counted"]]).id, "counted": floor["counted"],
                "other": floor["other"]}


def test_the_count_screen_fetched_with_its_bin_keeps_counting_that_bin(client, users, count):
    login(client, "picker")
    page = client.get(f"/tasks/count/{count['task']}", query_string={"location_id": count["counted"]})
    text = page.get_data(as_text=True)
    assert "data-counting-bin" in text and f'name="location_id" value="{count["counted"]}"' in text


def test_the_count_screen_fetched_with_a_bin_outside_the_count_shows_the_bins_to_count(client, users, count):
    login(client, "picker")
    page = client.get(f"/tasks/count/{count['task']}", query_string={"location_id": count["other"]})
    assert "data-counting-bin" not in page.get_data(as_text=True)


def test_the_put_wall_fetched_with_an_unknown_cart_asks_for_the_cart(client, users):
    login(client, "picker")
    page = client.get("/picking/sort", query_string={"step": "item", "list_id": 999})
    assert page.status_code == 200 and 'data-step="cart"' in page.get_data(as_text=True)


def test_the_put_wall_fetched_with_its_cart_stays_at_the_item_step(app, client, users, cart):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    with app.app_context():
        list_id = db.session.get(PickTask, cart["first"]).pick_list_id
    login(client, "picker")
    text = client.get("/picking/sort", query_string={"step": "item", "list_id": list_id}).get_data(as_text=True)
    assert 'data-step="item"' in text and f'name="list_id" value="{list_id}"' in text
