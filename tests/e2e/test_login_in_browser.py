"""Real Chromium: a picker logs in on a handheld by badge, an admin by password, both languages."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_picker_logs_in_on_a_handheld_by_scanning_the_badge(live_server, handheld, users):
    page = handheld
    page.goto(f"{live_server}/")
    # the handheld prefers Chinese and lands on the login page
    assert "/login" in page.url
    assert page.locator("h1").first.inner_text() == "扫描工牌"
    # a scanner types the badge and presses Enter
    page.locator("#b-badge").fill("BADGE-PICKER-01")
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/m/")  # a badge login lands on the handheld's task menu
    assert page.locator("h1").first.inner_text() == "任务"
    # the page fits a 360-px screen: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_admin_logs_in_switches_language_and_logs_out(live_server, desktop, users):
    page = desktop
    page.goto(f"{live_server}/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login?'] button[type=submit], form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/home")  # the admin's role home
    page.goto(f"{live_server}/")
    assert page.locator("h1").inner_text() == "Dashboard"
    page.click("text=中文")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "工作台"
    page.click("text=退出")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/admin/users")
    assert "/login" in page.url


def test_a_wrong_password_shows_a_clear_message(live_server, desktop, users):
    page = desktop
    page.goto(f"{live_server}/login")
    page.fill("#username", "admin")
    page.fill("#password", "not-the-password")
    page.locator("#password").press("Enter")
    page.wait_for_load_state()
    assert "Wrong username or password." in page.locator(".flash-error").inner_text()
