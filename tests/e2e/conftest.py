"""A live server (the real app in a thread) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import service_unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        service_unavailable(f"Chromium not found at {CHROMIUM} (make setup installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def handheld(browser):
    """A 360-px-wide handheld screen that prefers Chinese."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def wait_until(condition, timeout_s: float = 10.0) -> None:
    """Poll a Python condition: page.wait_for_function evaluates a string, which the CSP forbids."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def badge_login(page, live_server: str, badge: str = "BADGE-PICKER-01") -> None:
    """Log in as a handheld does: the badge field has the focus, the scanner types and presses Enter."""
    page.goto(f"{live_server}/login")
    page.locator("#b-badge").fill(badge)
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/m/")


def scan(page, code: str) -> None:
    """A scan: the code in the scan field, then Enter; returns once the server has answered.

    (Typing key by key, as a keyboard-wedge scanner does, is covered by test_handheld_scanning.py;
    here the whole code goes in at once so a busy machine cannot interleave it with the last swap.)
    """
    field = page.locator("[data-scan-input]")
    with page.expect_response(lambda response: response.request.method == "POST", timeout=20_000):
        field.fill(code)
        field.press("Enter")
    # htmx drops a new submit while the last one is still being swapped in: wait until it is done
    wait_until(lambda: page.evaluate(
        "document.querySelectorAll('.htmx-request, .htmx-swapping, .htmx-settling').length") == 0)
