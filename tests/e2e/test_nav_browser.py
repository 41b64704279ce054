"""Real Chromium: the grouped navigation is one line at 1366 px, a group opens (mouse and keyboard) and
its link navigates; on a 360-px handheld the menu toggle shows the groups; a report draws its chart."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def _login(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login?'] button[type=submit], form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def test_at_1366_px_the_nav_is_one_line_and_a_group_opens_and_navigates(live_server, desktop, users):
    page = desktop
    _login(page, live_server, "admin")
    page.goto(f"{live_server}/")
    nav = page.locator("nav.mainnav")
    summary_height = page.locator("details.navgroup > summary").first.bounding_box()["height"]
    assert nav.bounding_box()["height"] < 2 * summary_height + 8  # one line, not wrapped
    menu = page.locator("details[data-nav-group=stock] .navmenu")
    assert not menu.is_visible()
    page.click("details[data-nav-group=stock] > summary")
    assert menu.is_visible()
    page.click("details[data-nav-group=orders] > summary")  # opening another closes the first
    assert not menu.is_visible()
    page.click("details[data-nav-group=orders] .navmenu >> text=Channel feeds")
    page.wait_for_url(f"{live_server}/intake/feeds/")


def test_a_group_is_reachable_and_opens_from_the_keyboard(live_server, desktop, users):
    page = desktop
    _login(page, live_server, "admin")
    page.goto(f"{live_server}/")
    page.focus("details[data-nav-group=reports] > summary")
    page.keyboard.press("Enter")
    assert page.locator("details[data-nav-group=reports] .navmenu").is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/reports/sales")
    page.wait_for_selector("[data-chart-drawn='1'] canvas")  # charts.js drew the ECharts chart


def test_at_360_px_the_menu_toggle_shows_the_groups(live_server, handheld, users):
    page = handheld
    _login(page, live_server, "supervisor")
    page.goto(f"{live_server}/")
    group = page.locator("details[data-nav-group=floor] > summary")
    assert not group.is_visible()
    page.click("label.nav-toggle-label")
    assert group.is_visible()
    group.click()
    page.locator("details[data-nav-group=floor] .navmenu a[href='/picking/board']").click()
    page.wait_for_url(f"{live_server}/picking/board")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
