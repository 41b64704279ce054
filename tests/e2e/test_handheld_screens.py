"""Real Chromium at 360x640: the pick and put-wall screens in zh-CN and English, saved as PNGs under
tests/artifacts/ (not committed), with no horizontal scrolling and every control at least 48 px tall;
a refusal on them reads in the screen's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import FloorBuilder
from tests.e2e.conftest import scan, wait_until

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TARGETS = ("button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, summary, "
           ".hh-back, .hh-tile")
# Both languages' refusals of the same wrong scans (the Chinese is the catalogue's, not English).
REFUSALS = {"zh-CN": ("应为", "不是拣货车标签"), "en": ("Wrong bin", "is not a cart label")}


@pytest.fixture
def wave(app, users):
    from erp_core.orders.workflow import approve_order
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1))
                 .channel("TM", "Tmall", "tmall")
                 .sku("A", "Thermos cup 保温杯 500 ml, stainless steel", barcodes=["6901234567892"])
                 .sku("B", "Lid", barcodes=["BC-LID"])
                 .stock("A", "A01-01-1", 5).stock("B", "A02-02-1", 5)
                 .build())
        approve_order(make_order("W1", [("A", 1), ("B", 1)]))
        release_waves(floor["SH1"], WaveRules(cart_slots=4))


@pytest.fixture(params=["zh-CN", "en"])
def screen(request, browser):
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale=request.param,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield request.param, page
    context.close()


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the screen scrolls sideways"
    small = page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
        .filter((e) => e.offsetParent !== null)
        .map((e) => [e.tagName + '.' + e.className + '#' + e.id, e.getBoundingClientRect().height])
        .filter(([, h]) => h < 48)""", TARGETS)
    assert small == [], f"touch targets under 48 px: {small}"


def _shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 1000


def _login(page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#b-badge").fill("BADGE-PICKER-01")
    page.locator("#b-badge").press("Enter")
    page.wait_for_url(f"{live_server}/m/")


def test_the_home_fits_360_px_with_big_targets(live_server, screen, users, wave):
    locale, page = screen
    _login(page, live_server)
    assert page.locator(".hh-tile svg").count() >= 4
    _fits(page)
    _shoot(page, f"home-{locale}")


def test_the_pick_screen_in_both_languages(live_server, screen, wave):
    locale, page = screen
    _login(page, live_server)
    page.goto(f"{live_server}/picking/pick")
    page.wait_for_selector("[data-expected-bin]")
    _fits(page)
    _shoot(page, f"pick-{locale}")
    scan(page, "SH1-NOPE")
    page.wait_for_selector(".scan-error")
    assert REFUSALS[locale][0] in page.locator(".scan-error").inner_text()
    _fits(page)
    _shoot(page, f"pick-refused-{locale}")


def test_the_put_wall_screen_in_both_languages(live_server, screen, wave):
    locale, page = screen
    _login(page, live_server)
    page.goto(f"{live_server}/picking/sort")
    page.wait_for_selector("[data-scan-input]")
    _fits(page)
    _shoot(page, f"put-wall-{locale}")
    scan(page, "NOT-A-CART")
    wait_until(lambda: page.locator(".scan-error").count() > 0)
    text = page.locator(".scan-error").inner_text()
    assert REFUSALS[locale][1] in text, text
    _fits(page)
    _shoot(page, f"put-wall-refused-{locale}")
