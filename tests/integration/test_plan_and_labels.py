"""The floor plan (SVG, coloured by fill or pick frequency), bin labels as PDF that scan back at 203 dpi,
and the slotting screen (ABC classes and suggested moves, from picks or else from order lines)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf
from tests.unit.test_bin_labels import decoded, needs_pdftoppm, rasterise


@pytest.fixture
def floor(app):
    """SH1: zone A of 2 aisles x 6 bays x 2 levels (capacity 60 a bin), a tote, a packing bench by the
    depot; CUP x60 in A01-01-1."""
    from wms.locations.services import ZoneSpec

    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", name_zh="上海主仓", key="wh")
             .layout(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=2))
             .bin("TOTE-1", "tote", key="tote")
             .bin("PACK-01", "packing", x=1.0, y=0.5)
             .sku("CUP", "Cup", name_zh="杯子", key="cup")
             .stock("cup", "A01-01-1", 60)
             .build(app))
    return {key: floor[key] for key in ("wh", "tote", "cup")}


def _bin(code):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    return db.session.scalar(select(Location).filter_by(code=code))


def _pick(sku_id, code, tote_id, times):
    from erp_core.inventory.services import move_stock

    for _ in range(times):
        move_stock(sku_id, _bin(code).id, tote_id, 1, reason="pick", reference="TEST")


def _svg(page: str) -> str:
    found = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="floor-plan".*?</svg>', page, re.S)
    assert found, "no floor plan on the page"
    return found.group(0)


# --- Plan -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_plan_draws_one_rect_per_bay_coloured_by_fill_with_a_legend(app, floor, login_as, lang):
    client = login_as("picker")
    client.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(client)})
    # when the plan is shown
    response = client.get(f"/locations/{floor['wh']}/plan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    svg = _svg(page)
    # then it is an accessible image with a title, one rect per bay (2 aisles x 6 bays, levels together)
    assert 'role="img"' in svg and '<title id="plan-title">' in svg
    bays = re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="(#[0-9a-f]{6})"[^>]*>'
                      r"<title>(A0\d-\d\d) · 2 [^·]+· ([^<]+)</title>", svg)
    assert len(bays) == 12
    colours = {name: (colour, detail) for colour, name, detail in bays}
    # and bay A01-01 holds 60 of 120: half full; an empty bay is light
    assert colours["A01-01"] == ("#8fd0a0", "60 / 120 (50%)")
    assert colours["A02-06"][0] == "#eef2f5"
    # and the depot, the cross aisles and a legend are there, with no style attribute anywhere (CSP)
    assert "<circle" in svg and svg.count('fill="#fdf6e3"') >= 2
    assert "<title>PACK-01 · " in svg
    assert 'class="legend"' in page and " style=" not in page
    if lang == "zh":
        assert 'lang="zh-CN"' in page


def test_the_plan_by_pick_frequency_says_when_there_are_no_picks_yet(app, floor, login_as):
    client = login_as("viewer")
    page = client.get(f"/locations/{floor['wh']}/plan?colour=picks&days=30").get_data(as_text=True)
    assert "No picks recorded in the last 30 days" in page
    assert len(re.findall(r"<title>A0\d-\d\d · 2 [^·]+· 0 picks</title>", _svg(page))) == 12


def test_the_plan_by_pick_frequency_colours_the_picked_bays(app, floor, login_as):
    with app.app_context():
        _pick(floor["cup"], "A01-01-1", floor["tote"], 3)
    client = login_as("viewer")
    svg = _svg(client.get(f"/locations/{floor['wh']}/plan?colour=picks").get_data(as_text=True))
    picked = re.findall(r'fill="(#[0-9a-f]{6})"[^>]*><title>A01-01 · 2 [^·]+· 3 picks</title>', svg)
    assert picked == ["#08519c"]  # the busiest bay takes the darkest colour


def test_a_warehouse_without_aisles_offers_to_create_its_layout(app, login_as):
    from erp_core.inventory.services import create_warehouse

    with app.app_context():
        wh_id = create_warehouse("SZ1", "Shenzhen").id
    page = login_as("supervisor").get(f"/locations/{wh_id}/plan").get_data(as_text=True)
    assert "no aisles yet" in page and f"/locations/{wh_id}/layout/new" in page


def test_a_user_of_another_warehouse_cannot_see_this_one(app, floor, client):
    from erp_core.auth.services import create_user
    from erp_core.inventory.services import create_warehouse
    from tests.conftest import PASSWORD, login

    with app.app_context():
        other = create_warehouse("SZ1", "Shenzhen")
        create_user("sz-boss", PASSWORD, "supervisor", warehouse_ids=[other.id])
    login(client, "sz-boss")
    for path in ("", "/plan", "/slotting", "/bins.csv", "/labels?scope=aisle&code=A01"):
        assert client.get(f"/locations/{floor['wh']}{path}").status_code == 403, path


# --- Labels ---------------------------------------------------------------------------------------------

def test_level_one_labels_point_down_and_upper_levels_up(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse
    from wms.locations.routes import bin_label

    with app.app_context():
        wh = db.session.get(Warehouse, floor["wh"])
        low, high = bin_label(wh, _bin("A01-03-1")), bin_label(wh, _bin("A01-03-2"))
        assert (low.arrow, low.level, low.aisle, low.zone, low.barcode) == ("down", 1, "A01", "A", "SH1-A01-03-1")
        assert (high.arrow, high.level) == ("up", 2)
        assert bin_label(wh, _bin("TOTE-1")).arrow is None


@needs_pdftoppm
@pytest.mark.parametrize(("layout", "pages"), [("thermal", 12), ("sheet", 1)])
def test_an_aisle_s_labels_print_one_per_bin_and_scan_back_to_the_bin_barcodes(app, floor, login_as, tmp_path,
                                                                                layout, pages):
    client = login_as("picker")
    # when the labels of aisle A01 (6 bays x 2 levels) are asked for
    response = client.get(f"/locations/{floor['wh']}/labels?scope=aisle&code=A01&layout={layout}&lang=zh")
    # then a PDF is shown inline
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    # with the right number of pages, the first label's Code 128 being the aisle's first bin
    images = rasterise(response.data, tmp_path, dpi=203)
    assert len(images) == pages
    assert decoded(images[0])["Code128"][0] == "SH1-A01-01-1"
    if layout == "sheet":
        assert sorted(decoded(images[0])["Code128"]) == sorted(f"SH1-A01-{b:02d}-{lv}" for b in range(1, 7)
                                                               for lv in (1, 2))


def test_labels_of_an_unknown_aisle_go_back_with_a_message(app, floor, login_as):
    client = login_as("viewer")
    response = client.get(f"/locations/{floor['wh']}/labels?scope=aisle&code=Z09")
    assert response.status_code == 302
    assert "Nothing to print" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/locations/{floor['wh']}/labels?scope=shelf&code=A01").status_code == 400


def test_one_bin_s_label_is_found_by_its_barcode(app, floor, login_as):
    response = login_as("viewer").get(f"/locations/{floor['wh']}/labels?scope=bin&code=SH1-A02-06-2&layout=thermal")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


# --- Slotting -------------------------------------------------------------------------------------------

def test_slotting_moves_a_fast_mover_from_the_back_towards_the_depot(app, floor):
    from erp_core.catalog.services import create_sku
    from erp_core.inventory.services import receive
    from wms.locations.plan import slotting_report

    with app.app_context():
        # given FAST at the back of A02 (picked 10 times), SLOW near the front of A01 (picked once), CUP unpicked
        fast, slow = create_sku("FAST", "Fast"), create_sku("SLOW", "Slow")
        receive(fast.id, _bin("A02-06-1").id, 20)
        receive(slow.id, _bin("A01-02-1").id, 20)
        _pick(fast.id, "A02-06-1", floor["tote"], 10)
        _pick(slow.id, "A01-02-1", floor["tote"], 1)
        # when the report is made
        report = slotting_report(floor["wh"], days=30)
        # then it uses the picks and classes FAST as A
        assert report.source == "picks" and report.total == 11
        classes = {s.row.sku: s.row.velocity for s in report.skus}
        assert classes["FAST"] == "A" and classes["CUP"] == "C"
        # and its first suggestion brings FAST to a pick face nearest the depot, saving picks x 2 x the difference
        move = report.moves[0]
        assert (move.sku, move.from_bin) == ("FAST", "A02-06-1")
        nearest = min(s.distance for s in report.skus if s.distance is not None)
        assert move.to_distance <= nearest
        assert move.picks_per_week == pytest.approx(10 * 7 / 30)
        assert move.saving_m_per_week == pytest.approx(
            2 * (move.picks_per_week - move.other_picks_per_week) * (move.from_distance - move.to_distance))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_picks_the_slotting_screen_uses_order_lines_and_says_so(app, floor, login_as, lang):
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from tests.integration.conftest import make_order

    with app.app_context():
        db.session.add(Channel(code="TM", name="Tmall", platform="tmall"))
        db.session.commit()
        for n in range(3):
            make_order(f"T{n}", [("CUP", 1)], phone=f"1380013800{n}")
    client = login_as("supervisor")
    client.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(client)})
    response = client.get(f"/locations/{floor['wh']}/slotting?days=30&a=80&b=15")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CUP" in page and "A01-01-1" in page
    if lang == "en":
        assert "Source: order lines" in page and "3 order lines" in page
    else:
        assert 'lang="zh-CN"' in page and "杯子" in page


def test_slotting_refuses_shares_above_one_hundred_percent(app, floor, login_as):
    page = login_as("viewer").get(f"/locations/{floor['wh']}/slotting?a=90&b=20").get_data(as_text=True)
    assert "add up to at most 100" in page and 'value="80"' in page
