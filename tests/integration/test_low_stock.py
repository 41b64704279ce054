"""Low-stock alerts (库存预警): reorder rules, the low list, the page, the dashboard card, and the
listeners the live board registers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from erp_core.errors import InsufficientStock
from tests.builders import FloorBuilder
from tests.conftest import page_csrf


@pytest.fixture
def stock(app):
    """SH1 bin A-01 with 20 TEA-1 and 3 MUG-1; SZ1 bin B-01 empty. Rules: TEA-1 in SH1 min 10 max 50."""
    from erp_core.inventory.alerts import set_reorder_rule

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", name_zh="上海主仓", key="sh1")
                 .warehouse("SZ1", "Shenzhen", name_zh="深圳小仓", key="sz1")
                 .bin("A-01", "pick", key="a", warehouse="sh1")
                 .bin("B-01", "pick", key="b", warehouse="sz1")
                 .sku("TEA-1", "Green tea", name_zh="绿茶", key="tea")
                 .sku("MUG-1", "Mug", name_zh="马克杯", key="mug")
                 .stock("tea", "a", 20)
                 .stock("mug", "a", 3)
                 .build())
        set_reorder_rule(floor["tea"], floor["sh1"], 10, 50)
        return dict(floor)


@pytest.fixture
def heard():
    """A listener registered the way the live board registers its emitter; removed afterwards."""
    from erp_core.inventory.alerts import LOW_STOCK_LISTENERS

    events: list[dict] = []
    LOW_STOCK_LISTENERS.append(events.append)
    yield events
    LOW_STOCK_LISTENERS.remove(events.append)


def test_a_sku_below_its_reorder_point_is_listed_with_the_quantity_to_reorder(app, stock):
    from erp_core.inventory.alerts import low_stock, set_reorder_rule
    from tests.stock_helpers import reserve

    with app.app_context():
        # given 20 TEA-1 (min 10) and 3 MUG-1 with a rule min 5 max 30
        set_reorder_rule(stock["mug"], stock["sh1"], 5, 30)
        assert [i.sku_code for i in low_stock()] == ["MUG-1"]
        # when 13 TEA-1 are reserved, leaving 7 available
        reserve(stock["tea"], stock["a"], 13)
        items = low_stock()
        # then both are low, the shortest first, and the suggestion tops available up to the maximum
        assert [(i.sku_code, i.available, i.suggested_quantity) for i in items] == [("TEA-1", 7, 43),
                                                                                    ("MUG-1", 3, 27)]
        assert low_stock({stock["sz1"]}) == []


def test_stock_in_transit_towards_the_warehouse_counts_against_the_reorder_point(app, stock):
    from erp_core.inventory.alerts import low_stock, set_reorder_rule
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        set_reorder_rule(stock["tea"], stock["sz1"], 5, 20)
        assert [(i.sku_code, i.suggested_quantity) for i in low_stock({stock["sz1"]})] == [("TEA-1", 20)]
        ship_transfer(create_transfer(stock["sh1"], stock["sz1"], [(stock["tea"], 6, stock["a"])]).id)
        assert low_stock({stock["sz1"]}) == []
        # and the source, now at 14 available (min 10), is not low either
        assert low_stock({stock["sh1"]}) == []


def test_the_listeners_hear_once_after_commit_when_an_adjustment_crosses_the_reorder_point(app, stock, heard):
    from erp_core.inventory.services import adjust_counted

    with app.app_context():
        adjust_counted(stock["tea"], stock["a"], 12, reason_code="damaged")  # 12: still above 10
        assert heard == []
        adjust_counted(stock["tea"], stock["a"], 7, reason_code="lost", note="shelf collapsed")  # crosses
        adjust_counted(stock["tea"], stock["a"], 5, reason_code="lost")  # already low: no news
        assert len(heard) == 1
        event = heard[0]
        assert (event["sku_code"], event["warehouse_code"], event["available"], event["min_quantity"],
                event["suggested_quantity"]) == ("TEA-1", "SH1", 7, 10, 43)


def test_the_listeners_hear_nothing_when_the_transaction_rolls_back(app, stock, heard):
    from erp_core.db import atomic
    from erp_core.inventory.services import adjust_counted
    from erp_core.inventory.stock_queries import quant_in
    from tests.stock_helpers import reserve

    with app.app_context():
        with pytest.raises(RuntimeError), atomic():
            adjust_counted(stock["tea"], stock["a"], 2, reason_code="lost")
            raise RuntimeError("the surrounding work failed")
        reserve(stock["tea"], stock["a"], 4)
        with pytest.raises(InsufficientStock):
            adjust_counted(stock["tea"], stock["a"], 3, reason_code="lost")  # below the 4 reserved
        assert heard == []
        assert quant_in(stock["tea"], stock["a"]) == (20, 4)


def test_shipping_a_transfer_that_empties_the_source_tells_the_listeners(app, stock, heard):
    from erp_core.inventory.transfers import create_transfer, ship_transfer

    with app.app_context():
        transfer = create_transfer(stock["sh1"], stock["sz1"], [(stock["tea"], 8, None), (stock["tea"], 5, None)])
        ship_transfer(transfer.id)
        assert [(e["sku_code"], e["warehouse_code"], e["available"]) for e in heard] == [("TEA-1", "SH1", 7)]


def test_a_broken_listener_does_not_silence_the_others_nor_undo_the_change(app, stock, heard):
    from erp_core.inventory.alerts import LOW_STOCK_LISTENERS
    from erp_core.inventory.services import adjust_counted
    from erp_core.inventory.stock_queries import quant_in

    def broken(_payload):
        raise RuntimeError("socket down")

    LOW_STOCK_LISTENERS.insert(0, broken)
    try:
        with app.app_context():
            adjust_counted(stock["tea"], stock["a"], 1, reason_code="expired")
            assert quant_in(stock["tea"], stock["a"]) == (1, 0)
    finally:
        LOW_STOCK_LISTENERS.remove(broken)
    assert len(heard) == 1


def test_a_supervisor_sets_changes_and_deletes_a_rule_on_the_page(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import ReorderRule

    client = login_as("supervisor")
    # when a rule for MUG-1 is saved through the form (SKU typed, CSRF token from the page)
    token = page_csrf(client, "/stock/low")
    response = client.post("/stock/low/rules", data={"csrf_token": token, "warehouse_id": stock["sh1"],
                                                     "sku": "MUG-1", "min_quantity": "5", "max_quantity": "40"})
    assert response.status_code == 302
    # then MUG-1 (3 on hand) is listed as low with 37 to reorder
    page = client.get("/stock/low").get_data(as_text=True)
    assert "MUG-1" in page and ">37<" in page
    # when it is changed to a reorder point of 2, it is no longer low
    client.post("/stock/low/rules", data={"csrf_token": token, "warehouse_id": stock["sh1"], "sku": "MUG-1",
                                          "min_quantity": "2", "max_quantity": "40"})
    with app.app_context():
        rule = db.session.scalar(select(ReorderRule).filter_by(sku_id=stock["mug"]))
        assert (rule.min_quantity, rule.max_quantity) == (2, 40)
        rule_id = rule.id
    assert "Mug" not in client.get("/stock/low").get_data(as_text=True).split("Reorder rules")[0]
    # and a rule whose maximum is below its reorder point is refused with the reason
    bad = client.post("/stock/low/rules", data={"csrf_token": token, "warehouse_id": stock["sh1"], "sku": "MUG-1",
                                                "min_quantity": "9", "max_quantity": "4"})
    assert bad.status_code == 422 and "at least the reorder point" in bad.get_data(as_text=True)
    # when it is deleted
    assert client.post(f"/stock/low/rules/{rule_id}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(ReorderRule, rule_id) is None


def test_a_rule_post_without_the_csrf_token_is_refused(app, stock, login_as):
    from erp_core.extensions import db
    from erp_core.inventory.models import ReorderRule

    client = login_as("supervisor")
    response = client.post("/stock/low/rules", data={"warehouse_id": stock["sh1"], "sku": "MUG-1",
                                                     "min_quantity": "5", "max_quantity": "40"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(ReorderRule).filter_by(sku_id=stock["mug"])) is None


def test_a_viewer_sees_the_low_list_but_cannot_edit_rules(app, stock, login_as):
    client = login_as("viewer")
    page = client.get("/stock/low")
    assert page.status_code == 200 and "Save rule" not in page.get_data(as_text=True)
    token = page_csrf(client, "/stock/low")
    response = client.post("/stock/low/rules", data={"csrf_token": token, "warehouse_id": stock["sh1"],
                                                     "sku": "MUG-1", "min_quantity": "5", "max_quantity": "40"})
    assert response.status_code == 403


def test_the_dashboard_shows_low_stock_skus_with_a_link_to_the_list(app, stock, login_as):
    from erp_core.inventory.services import adjust_counted

    with app.app_context():
        adjust_counted(stock["tea"], stock["a"], 4, reason_code="count_correction")
    page = login_as("viewer").get("/").get_data(as_text=True)
    card = page.split('id="low-stock"')[1]
    assert "TEA-1" in card and ">46<" in card and 'href="/stock/low"' in card


def test_the_low_stock_page_speaks_chinese_to_a_chinese_browser(app, stock, login_as):
    client = login_as("supervisor")
    zh = client.get("/stock/low", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    en = client.get("/stock/low", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "仓库" in zh and ">Warehouse<" not in zh
    assert ">Warehouse<" in en
