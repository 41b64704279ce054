"""Reports, role home pages and the grouped navigation, through the routes as the office uses them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.integration.conftest import make_order


@pytest.fixture
def sales(app, world):
    """Today: S1 (A x2, Shanghai, buyer X) and S2 (A + B, Guangdong, buyer Y), 10.00 a unit; S0 (buyer X)
    paid 60 days ago; S9 never paid. So X is a returning customer and Y a new one."""
    from erp_core.extensions import db
    from erp_core.models_base import utcnow
    from erp_core.orders.models import Order

    with app.app_context():
        old = make_order("S0", [("A", 1)], phone="13800000001")
        make_order("S1", [("A", 2)], phone="13800000001")
        make_order("S2", [("A", 1), ("B", 1)], province="广东省", phone="13800000002")
        make_order("S9", [("A", 5)], phone="13800000003", paid=False)
        db.session.get(Order, old).paid_at = utcnow() - timedelta(days=60)
        db.session.commit()
    return world


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_sales_by_shop_counts_the_orders_paid_in_the_range_and_exports_the_same_rows(login_as, sales):
    client = login_as("finance")
    page = client.get("/reports/sales?view=shop")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-chart="report-chart"' in html and '<script type="application/json" id="report-chart">' in html
    assert _csv(client.get("/reports/sales?view=shop&format=csv"))[1] == ["TM", "Tmall", "2", "4", "40.00"]


def test_sales_by_region_sku_and_day_split_the_same_sales(login_as, sales):
    client = login_as("viewer")
    regions = {row[0]: row[1:] for row in _csv(client.get("/reports/sales?view=region&format=csv"))[1:]}
    assert regions == {"上海": ["1", "2", "20.00"], "广东省": ["1", "2", "20.00"]}
    skus = [row for row in _csv(client.get("/reports/sales?view=sku&top=10&format=csv"))[1:]]
    assert skus == [["A", "Cup", "2", "3", "30.00"], ["B", "Lid", "1", "1", "10.00"]]
    days = _csv(client.get("/reports/sales?view=period&grain=day&format=csv"))
    assert len(days) == 1 + 30 and days[-1][1:] == ["2", "4", "40.00"]  # every day listed, today last


def test_the_xlsx_export_holds_the_table_with_figures_as_numbers(login_as, sales):
    response = login_as("admin").get("/reports/sales?view=shop&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("TM", "Tmall", 2, 4) and float(rows[1][4]) == 40.0


def test_customers_report_tells_new_from_returning_buyers(login_as, sales):
    rows = _csv(login_as("supervisor").get("/reports/customers?view=buyers&grain=week&format=csv"))[1:]
    assert sum(int(r[1]) for r in rows) == 1 and sum(int(r[2]) for r in rows) == 1


def test_rfm_movement_counts_segments_at_the_start_and_the_end(login_as, sales):
    rows = _csv(login_as("admin").get("/reports/customers?view=rfm&format=csv"))[1:]
    at_start, at_end = sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows)
    assert (at_start, at_end) == (1, 2)  # X had bought before the range; Y only in it


def test_a_warehouse_the_user_may_not_see_is_not_found(app, login_as, sales):
    from erp_core.auth.models import User
    from erp_core.extensions import db

    with app.app_context():
        from erp_core.inventory.models import Warehouse

        viewer = db.session.query(User).filter_by(username="viewer").one()
        viewer.warehouses = [db.session.get(Warehouse, sales["sh"])]
        db.session.commit()
    client = login_as("viewer")
    assert client.get(f"/reports/sales?warehouse_id={sales['sz']}").status_code == 404
    assert client.get(f"/reports/sales?warehouse_id={sales['sh']}").status_code == 200


@pytest.mark.parametrize("role,allowed", [("admin", True), ("supervisor", True), ("finance", True),
                                          ("viewer", True), ("purchaser", False), ("picker", False)])
def test_reports_need_the_reports_permission(login_as, world, role, allowed):
    client = login_as(role)
    for path in ("/reports/sales", "/reports/customers", "/reports/products", "/reports/operations"):
        assert (client.get(path).status_code == 200) is allowed, (role, path)


def test_finance_lands_on_todays_revenue_by_shop(client, users, sales):
    from tests.conftest import login

    assert login(client, "finance").headers["Location"] == "/home"
    html = client.get("/home").get_data(as_text=True)
    panel = html[html.index('id="home-revenue-today"'):]
    assert re.search(r"<td>Tmall</td><td class=\"num\">2</td><td class=\"num\">¥40.00</td>", panel)


def test_the_office_home_shows_orders_needing_action_and_the_supervisor_the_floor(login_as, sales):
    html = login_as("supervisor").get("/home").get_data(as_text=True)
    assert 'id="home-orders-needing-action"' in html and 'id="home-floor"' in html
    assert 'href="/orders/?status=pending"' in html and 'id="home-revenue-today"' not in html


def test_a_role_without_home_panels_is_sent_to_the_dashboard_and_the_root_works_for_all(login_as, world):
    client = login_as("viewer")
    assert client.get("/home").headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_registered_panel_shows_on_its_roles_home(app, login_as, world):
    from erp_core.reports.home import _PANELS, register_home_panel

    def margin_panel(user):
        return '<section class="card" id="margin-panel">margin</section>'

    register_home_panel("finance", margin_panel)
    try:
        assert 'id="margin-panel"' in login_as("finance").get("/home").get_data(as_text=True)
    finally:
        _PANELS["finance"]._panels.remove(margin_panel)


def _nav_links(html: str) -> dict[str, list[str]]:
    nav = html[html.index('<nav class="mainnav">'):html.index("</nav>")]
    groups = re.findall(r'data-nav-group="([a-z]+)">\s*<summary>[^<]*</summary>(.*?)</details>', nav, re.S)
    return {key: re.findall(r'href="([^"]+)"', body) for key, body in groups}


def test_every_nav_link_points_at_a_route_of_the_app(app):
    from erp_core.navigation import NAV_GROUPS

    assert [g.key for g in NAV_GROUPS] == ["orders", "stock", "floor", "purchasing", "aftersales", "customers",
                                           "finance", "reports", "settings"]
    missing = [link.endpoint for g in NAV_GROUPS for link in g.links if link.endpoint not in app.view_functions]
    assert missing == []


def test_the_admin_sees_every_former_link_in_groups(login_as, world):
    links = _nav_links(login_as("admin").get("/").get_data(as_text=True))
    flat = {href for hrefs in links.values() for href in hrefs}
    former = {"/orders/", "/intake/imports", "/intake/orders/new", "/intake/feeds/", "/customers/", "/catalog/",
              "/stock", "/locations/", "/inbound/asns", "/purchasing/orders", "/purchasing/suppliers",
              "/picking/waves", "/picking/board", "/shipping/manifests/", "/shipping/print-jobs", "/shipping/pack",
              "/m/", "/returns/", "/shipping/exceptions/", "/admin/users"}
    assert former - flat == set()
    assert set(links) == {"orders", "stock", "floor", "purchasing", "aftersales", "customers", "finance", "reports",
                          "settings"}


@pytest.mark.parametrize("role,shown,hidden", [
    # Settings holds each user's own sessions and jobs too: every staff role sees that group
    ("finance", {"finance", "reports", "customers", "settings"}, set()),
    ("purchaser", {"purchasing", "stock"}, {"reports", "finance", "customers"}),
    ("viewer", {"reports", "customers", "settings"}, {"finance"}),
])
def test_each_role_sees_only_the_groups_it_may_open(login_as, world, role, shown, hidden):
    groups = set(_nav_links(login_as(role).get("/").get_data(as_text=True)))
    assert shown <= groups and not hidden & groups, groups
