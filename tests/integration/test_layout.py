"""Warehouse layout: bins generated from a few parameters sit where the router's geometry says, the
layout page browses and edits bins (locations.manage only), and the bins round-trip through CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.builders import FloorBuilder
from tests.conftest import page_csrf

# Two zones side by side (A: 2 aisles x 8 bays x 2 levels, B: 1 aisle x 12 bays x 3 levels), one
# middle cross aisle 3 m wide, the depot on the front cross aisle between aisles 1 and 2 (x = 4.0).
SPEC_ARGS = dict(aisle_spacing_m=3.0, bay_width_m=1.0, front_margin_m=2.0, aisle_width_m=1.5, cross_aisles=1,
                 cross_aisle_width_m=3.0, depot=(4.0, 0.0))


def _spec():
    from wms.locations.services import LayoutSpec, ZoneSpec

    return LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=8, levels=2),
                             ZoneSpec("B", aisles=1, bays_per_aisle=12, levels=3, reserve_levels_from=3)),
                      **SPEC_ARGS)


@pytest.fixture
def floor(app):
    """Warehouse SH1 with the layout above and a packing bin; returns ids."""
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", name_zh="上海主仓", key="wh")
             .layout(_spec())
             .bin("PACK-01", "packing", key="pack")
             .build(app))
    return {"wh": floor["wh"], "bins": floor.layout_bins["wh"], "pack": floor["pack"]}


def _bin(code):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    return db.session.scalar(select(Location).filter_by(code=code))


# --- Coordinates and geometry ---------------------------------------------------------------------------

def test_generated_bins_lie_on_the_geometry_s_aisles_and_between_its_cross_aisles(app, floor):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.locations.layout import layout_geometry, pick_point, warehouse_geometry

    with app.app_context():
        # given the generated layout: 2 x 8 x 2 + 12 x 3 bins
        assert floor["bins"] == 2 * 8 * 2 + 12 * 3
        layout = layout_geometry(floor["wh"])
        geometry = warehouse_geometry(floor["wh"])
        # then the geometry has the three aisles plus the depot's own (x = 4.0, no bins) in x order
        assert layout.aisle_xs == (1.5, 4.0, 4.5, 7.5)
        assert layout.depot.aisle == 1 and layout.depot.y == 0.0
        # B has 6 bay pairs, so the cross aisle lies after 3 pairs: 2 + 3 x 1 + 3/2; length 2 + 6 + 3 + 2
        assert layout.middle_cross_aisles == (6.5,)
        assert layout.aisle_length == 13.0
        bands = [(0.0, 2.0), (5.0, 8.0), (11.0, 13.0)]
        for b in db.session.scalars(select(Location).where(Location.kind == "bin", Location.aisle_no.is_not(None))):
            point = pick_point(b)
            # and every bin stands on its aisle's centre line, inside the aisle, outside every cross aisle
            assert layout.aisle_xs[point.aisle] == b.x == geometry.aisle_xs[b.aisle_no]
            assert point.y == b.y and point.key == b.code
            assert not any(lo <= b.y <= hi for lo, hi in bands), b.code


def test_facing_bays_share_a_y_and_bays_after_the_cross_aisle_skip_its_width(app, floor):
    with app.app_context():
        # bays 1|2 face each other, 3 is one bay further, 7 comes after the cross aisle (3 m)
        assert _bin("B01-01-1").y == _bin("B01-02-3").y == 2.5
        assert _bin("B01-03-1").y == 3.5
        assert _bin("B01-05-1").y == 4.5
        assert _bin("B01-07-1").y == 4.5 + 1.0 + 3.0
        # and the levels of a bay share its place
        assert _bin("B01-07-1").y == _bin("B01-07-3").y


def test_two_bins_of_one_aisle_are_their_y_difference_apart(app, floor):
    from wms.locations.geometry import distance
    from wms.locations.layout import layout_geometry, pick_point

    with app.app_context():
        layout = layout_geometry(floor["wh"])
        a, b = pick_point(_bin("B01-01-1")), pick_point(_bin("B01-11-2"))
        assert distance(layout, a, b) == pytest.approx(abs(_bin("B01-11-2").y - _bin("B01-01-1").y)) == 8.0


def test_bins_in_two_aisles_are_joined_through_the_nearest_cross_aisle(app, floor):
    from wms.locations.geometry import distance
    from wms.locations.layout import layout_geometry, pick_point

    with app.app_context():
        layout = layout_geometry(floor["wh"])
        # given A01 bay 5 (y 4.5, just before the middle cross aisle at 6.5) and B01 bay 7 (y 8.5, after it)
        a, b = _bin("A01-05-1"), _bin("B01-07-1")
        # when the walk is measured
        walked = distance(layout, pick_point(a), pick_point(b))
        # then it is across (7.5 - 1.5) plus the straight run between their ys, the cross aisle lying between
        assert walked == pytest.approx(6.0 + 4.0)
        # and two bins both before the cross aisle go round through the nearer one (the middle, not the front)
        c, d = _bin("A01-05-1"), _bin("A02-06-2")
        assert distance(layout, pick_point(c), pick_point(d)) == pytest.approx(3.0 + 2 * (6.5 - 4.5))
        # and from the depot (x 4.0 on the front) to A01-01-1 (x 1.5, y 2.5)
        assert distance(layout, layout.depot, pick_point(_bin("A01-01-1"))) == pytest.approx(2.5 + 2.5)


def test_special_bins_and_warehouses_without_aisles_have_no_pick_point(app, floor):
    from erp_core.errors import NotFound
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse
    from wms.locations.layout import layout_geometry, pick_point

    with app.app_context():
        assert pick_point(db.session.get(Location, floor["pack"])) is None
        other = create_warehouse("SZ1", "Shenzhen")
        with pytest.raises(NotFound) as raised:
            layout_geometry(other.id)
        assert raised.value.code == "no_layout"


def test_the_demo_layout_stores_its_parameters_and_routes(app):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Warehouse
    from wms.demo import load_demo
    from wms.locations.layout import layout_geometry, pick_point
    from wms.locations.models import WarehouseLayout
    from wms.picking.routing import best_route

    with app.app_context():
        # given the demo data
        load_demo(orders=10)
        sh1 = db.session.scalar(select(Warehouse).filter_by(code="SH1"))
        # then its layout is stored and its geometry has the ten aisles, 3 m apart, and the depot at x = 0
        assert db.session.get(WarehouseLayout, sh1.id) is not None
        layout = layout_geometry(sh1.id)
        assert layout.aisle_xs == (0.0, *[1.5 + 3 * i for i in range(10)])
        assert layout.aisle_length == 2 + 15 + 2
        # and every aisle bin maps to a point of it, routable from the depot and back
        bins = db.session.scalars(select(Location).where(Location.warehouse_id == sh1.id, Location.kind == "bin",
                                                         Location.aisle_no.is_not(None))).all()
        points = [pick_point(b) for b in bins]
        assert None not in points
        for p in points:
            layout.check(p)
        route = best_route(layout, points[::97])
        assert route.length > 0


def test_bins_made_before_layouts_were_stored_get_a_geometry_from_their_aisles(app, floor):
    from erp_core.extensions import db
    from wms.locations.layout import layout_geometry, pick_point
    from wms.locations.models import WarehouseLayout

    with app.app_context():
        db.session.delete(db.session.get(WarehouseLayout, floor["wh"]))
        db.session.commit()
        layout = layout_geometry(floor["wh"])
        assert layout.aisle_xs == (0.0, 1.5, 4.5, 7.5)
        assert layout.aisle_length >= max(b.y for b in map(_bin, ["B01-11-1", "A02-07-1"]))
        assert pick_point(_bin("B01-11-1")).aisle == 3


@pytest.mark.parametrize(("change", "code"), [
    (dict(cross_aisles=6), "too_many_cross_aisles"), (dict(depot=(99.0, 0.0)), "bad_depot"),
    (dict(aisle_width_m=3.0), "bad_aisle_width"), (dict(zones=()), "no_zones"),
])
def test_an_unsound_layout_is_refused_with_a_reason(app, change, code):
    from dataclasses import replace

    from erp_core.errors import ValidationFailed
    from erp_core.inventory.services import create_warehouse
    from wms.locations.services import create_layout

    with app.app_context():
        wh = create_warehouse("SH9", "Test")
        with pytest.raises(ValidationFailed) as raised:
            create_layout(wh.id, replace(_spec(), **change))
        assert raised.value.code == code


def test_a_layout_whose_codes_a_special_bin_already_uses_is_refused_whole(app):
    from erp_core.errors import Conflict
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse
    from wms.locations.services import create_bin, create_layout

    with app.app_context():
        wh = create_warehouse("SH9", "Test")
        create_bin(wh.id, "A01", "staging")
        with pytest.raises(Conflict) as raised:
            create_layout(wh.id, _spec())
        assert raised.value.code == "code_taken"
        assert db.session.scalar(select(func.count(Location.id)).filter_by(warehouse_id=wh.id)) == 2  # root + A01


def test_a_second_layout_is_refused(app, floor):
    from erp_core.errors import Conflict
    from wms.locations.services import create_layout

    with app.app_context(), pytest.raises(Conflict):
        create_layout(floor["wh"], _spec())


# --- Editing bins ---------------------------------------------------------------------------------------

def test_a_bin_s_code_changes_until_stock_moves_through_it_then_stays(app, floor):
    from erp_core.catalog.services import create_sku
    from erp_core.errors import Conflict
    from erp_core.inventory.services import receive
    from wms.locations.services import update_bin

    with app.app_context():
        b = _bin("A01-01-1")
        update_bin(floor["wh"], b.id, bin_type="reserve", capacity=80, active=False, code="A01-01-1X",
                   barcode="SH1-A01-01-1X")
        b = _bin("A01-01-1X")
        assert (b.bin_type, b.capacity, b.active, b.barcode) == ("reserve", 80, False, "SH1-A01-01-1X")
        sku = create_sku("CUP", "Cup")
        receive(sku.id, b.id, 5)
        with pytest.raises(Conflict) as raised:
            update_bin(floor["wh"], b.id, bin_type="pick", capacity=80, active=True, code="A01-01-1")
        assert raised.value.code == "code_locked"
        update_bin(floor["wh"], b.id, bin_type="pick", capacity=None, active=True)
        assert (_bin("A01-01-1X").bin_type, _bin("A01-01-1X").capacity) == ("pick", None)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_layout_page_lists_zones_aisles_and_the_bins_of_an_aisle_with_their_fill(app, floor, login_as, lang):
    from erp_core.catalog.services import create_sku
    from erp_core.inventory.services import receive

    with app.app_context():
        aisle = _bin("A02-01-1").parent_id
        receive(create_sku("CUP", "Cup").id, _bin("A02-01-1").id, 30)
    client = login_as("viewer")
    client.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(client)})
    page = client.get(f"/locations/{floor['wh']}?aisle={aisle}").get_data(as_text=True)
    assert "A01" in page and "B01" in page and "A02-08-2" in page and "PACK-01" in page
    assert "50%" in page  # 30 on hand of 60
    assert ("库位" in page and 'lang="zh-CN"' in page) if lang == "zh" else "Special bins" in page
    # and a viewer sees no edit links
    assert f"/locations/{floor['wh']}/bins/" not in page.replace(".csv", "")


def test_a_supervisor_edits_a_bin_and_a_picker_is_refused(app, floor, login_as, client):
    with app.app_context():
        bin_id = _bin("A01-02-1").id
    path = f"/locations/{floor['wh']}/bins/{bin_id}/edit"
    supervisor = login_as("supervisor")
    token = page_csrf(supervisor, path)
    # a post without the CSRF token is refused
    assert supervisor.post(path, data={"code": "A01-02-1", "barcode": "SH1-A01-02-1", "bin_type": "reserve"}
                           ).status_code == 400
    response = supervisor.post(path, data={"csrf_token": token, "code": "A01-02-1", "barcode": "SH1-A01-02-1",
                                           "bin_type": "reserve", "capacity": "150", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert (_bin("A01-02-1").bin_type, _bin("A01-02-1").capacity) == ("reserve", 150)
    supervisor.post("/logout", data={"csrf_token": page_csrf(supervisor)})
    picker = login_as("picker")
    assert picker.get(path).status_code == 403
    assert picker.post(path, data={"csrf_token": page_csrf(picker), "code": "A01-02-1", "barcode": "SH1-A01-02-1",
                                   "bin_type": "pick"}).status_code == 403
    assert picker.get(f"/locations/{floor['wh']}/layout/new").status_code == 403
    assert picker.get(f"/locations/{floor['wh']}").status_code == 200


def test_a_supervisor_adds_a_special_bin_once(app, floor, login_as):
    client = login_as("supervisor")
    path = f"/locations/{floor['wh']}/bins/new"
    data = {"csrf_token": page_csrf(client, path), "code": "ret-02", "bin_type": "returns", "capacity": ""}
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        assert (_bin("RET-02").bin_type, _bin("RET-02").barcode) == ("returns", "SH1-RET-02")
    again = client.post(path, data=data)
    assert again.status_code == 200 and "already used" in again.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_layout_form_creates_zones_with_cross_aisles_and_a_depot(app, login_as, lang):
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse
    from wms.locations.layout import layout_geometry, layout_spec

    with app.app_context():
        wh_id = create_warehouse("GZ1", "Guangzhou").id
    client = login_as("admin")
    client.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(client)})
    path = f"/locations/{wh_id}/layout/new"
    form = client.get(path).get_data(as_text=True)
    assert 'name="zones-0-code"' in form and ('取消' in form if lang == "zh" else "Bays per aisle" in form)
    data = {"csrf_token": page_csrf(client, path), "aisle_spacing_m": "3.2", "aisle_width_m": "1.6",
            "bay_width_m": "1.2", "front_margin_m": "2.5", "back_margin_m": "2", "cross_aisles": "1",
            "cross_aisle_width_m": "2.4", "depot_x_m": "0",
            "zones-0-code": "f", "zones-0-aisles": "3", "zones-0-bays_per_aisle": "10", "zones-0-levels": "2",
            "zones-0-bin_type": "pick", "zones-1-code": "", "zones-2-code": "", "zones-3-code": ""}
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id)).filter_by(warehouse_id=wh_id, kind="bin")) == 60
        layout = layout_geometry(wh_id)
        assert layout.aisle_xs == (0.0, 1.6, 4.8, 8.0)
        assert layout.middle_cross_aisles == (pytest.approx(2.5 + 3 * 1.2 + 1.2),)
        assert layout_spec(wh_id).zones[0].code == "F"
    # and the form is not offered again
    assert client.get(path).status_code == 302


# --- CSV ------------------------------------------------------------------------------------------------

def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_bins_export_as_csv_with_their_place_and_settings(app, floor, login_as):
    client = login_as("viewer")
    response = client.get(f"/locations/{floor['wh']}/bins.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _rows(response.data)
    assert list(rows[0]) == ["code", "barcode", "zone", "aisle", "bay", "level", "bin_type", "capacity", "x", "y",
                             "active", "mixed_lots"]
    assert len(rows) == floor["bins"] + 1
    by_code = {r["code"]: r for r in rows}
    assert by_code["B01-07-3"] == {"code": "B01-07-3", "barcode": "SH1-B01-07-3", "zone": "B", "aisle": "B01",
                                   "bay": "7", "level": "3", "bin_type": "reserve", "capacity": "200", "x": "7.5",
                                   "y": "8.5", "active": "1", "mixed_lots": "1"}
    assert by_code["PACK-01"]["zone"] == "" and by_code["PACK-01"]["bin_type"] == "packing"


def test_an_exported_layout_imports_back_unchanged(app, floor):
    from wms.locations.layout_csv import bins_csv, import_bins_csv

    with app.app_context():
        result = import_bins_csv(floor["wh"], "bins.csv", bins_csv(floor["wh"]))
        assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, floor["bins"] + 1, [])


IMPORT = (
    "code,barcode,zone,aisle,bay,level,bin_type,capacity,x,y,active\r\n"
    "A01-01-1,,A,A01,1,1,reserve,120,,,0\r\n"          # 2: update type, capacity, active
    "A01-09-1,,A,A01,9,1,,,,,\r\n"                     # 3: new bin in A01, y from bay 9 (after the cross aisle)
    "A01-02-1,,,,,,pick,abc,,,yes\r\n"                 # 4: bad capacity: nothing of the row applies
    "X-9,,Z,Z01,,,pick,,,,\r\n"                        # 5: unknown aisle
    "STAGE-2,,,,,,staging,,3.5,0.5,1\r\n"              # 6: new special bin
    "A01-03-1,,B,B01,,,,,,,\r\n"                       # 7: bin is in another aisle
    "A02-01-1,,,,,,,,,99,\r\n"                         # 8: y outside the aisle
    "A01-01-1,,,,,,pick,,,,\r\n"                       # 9: twice in the file
)


def test_an_import_applies_good_rows_whole_and_lists_bad_rows_by_line_and_column(app, floor):
    from wms.locations.layout_csv import import_bins_csv

    with app.app_context():
        # when the file is checked first, nothing changes
        checked = import_bins_csv(floor["wh"], "bins.csv", IMPORT.encode(), dry_run=True)
        assert (checked.created, checked.updated) == (2, 1)
        assert _bin("A01-09-1") is None and _bin("A01-01-1").bin_type == "pick"
        # when it is imported
        result = import_bins_csv(floor["wh"], "bins.csv", IMPORT.encode())
        # then the good rows are applied
        assert (result.created, result.updated) == (2, 1)
        b = _bin("A01-01-1")
        assert (b.bin_type, b.capacity, b.active) == ("reserve", 120, False)
        new = _bin("A01-09-1")
        assert (new.x, new.y, new.aisle_no, new.barcode, new.bin_type) == (1.5, 2 + 4.5 + 3, 1, "SH1-A01-09-1", "pick")
        assert _bin("STAGE-2").bin_type == "staging" and _bin("STAGE-2").aisle_no is None
        # and the bad ones are reported by line, column and reason, and left as they were
        assert [(e.line, e.column, e.code) for e in result.errors] == [
            (4, "capacity", "bad_capacity"), (5, "aisle", "unknown_aisle"), (7, "aisle", "aisle_mismatch"),
            (8, "y", "outside_aisle"), (9, "code", "duplicate_in_file")]
        assert (_bin("A01-02-1").capacity, _bin("A01-02-1").bin_type) == (60, "pick")
        assert _bin("X-9") is None and _bin("A02-01-1").y == 2.5


def test_an_import_in_gbk_with_chinese_headers_is_read(app, floor):
    from wms.locations.layout_csv import import_bins_csv

    data = "库位编码,库位类型,容量,启用\r\nA01-01-2,reserve,99,否\r\n".encode("gb18030")
    with app.app_context():
        result = import_bins_csv(floor["wh"], "库位.csv", data)
        assert result.errors == [] and result.updated == 1
        assert (_bin("A01-01-2").capacity, _bin("A01-01-2").active) == (99, False)


def test_the_import_page_checks_imports_and_reports_errors_as_csv(app, floor, login_as):
    client = login_as("supervisor")
    path = f"/locations/{floor['wh']}/bins/import"
    token = page_csrf(client, path)

    def post(action):
        return client.post(path, data={"csrf_token": token, "action": action,
                                       "file": (io.BytesIO(IMPORT.encode()), "bins.csv")},
                           content_type="multipart/form-data")

    report = post("report")
    assert report.mimetype == "text/csv"
    assert [r["code"] for r in _rows(report.data)] == ["bad_capacity", "unknown_aisle", "aisle_mismatch",
                                                       "outside_aisle", "duplicate_in_file"]
    with app.app_context():
        assert _bin("A01-09-1") is None
    page = post("import").get_data(as_text=True)
    assert "Import result" in page and "No such aisle in the warehouse" in page
    with app.app_context():
        assert _bin("A01-09-1") is not None
    # and without the token nothing is imported
    assert client.post(path, data={"action": "import", "file": (io.BytesIO(b"code\r\nZ-1\r\n"), "x.csv")},
                       content_type="multipart/form-data").status_code == 400


# --- Every page, both languages, and who may edit -------------------------------------------------------

def _pages(floor) -> list[str]:
    with_bin = f"/locations/{floor['wh']}/bins/{floor['pack']}/edit"
    return ["/locations/", f"/locations/{floor['wh']}", f"/locations/{floor['wh']}/plan",
            f"/locations/{floor['wh']}/plan?colour=picks&days=7", f"/locations/{floor['wh']}/slotting",
            f"/locations/{floor['wh']}/bins/new", f"/locations/{floor['wh']}/bins/import", with_bin]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_layout_page_renders_in_both_languages(app, floor, login_as, lang):
    client = login_as("supervisor")
    client.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(client)})
    for path in _pages(floor):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in page, path
        assert ("仓库" in page) if lang == "zh" else ("Warehouse" in page), path


def test_a_picker_reads_the_layout_but_may_change_nothing(app, floor, login_as):
    client = login_as("picker")
    token = page_csrf(client)
    manage = [f"/locations/{floor['wh']}/bins/new", f"/locations/{floor['wh']}/bins/import",
              f"/locations/{floor['wh']}/bins/{floor['pack']}/edit", f"/locations/{floor['wh']}/layout/new"]
    for path in manage:
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"csrf_token": token, "code": "X-1", "bin_type": "staging"}).status_code == 403
    for path in set(_pages(floor)) - set(manage):
        assert client.get(path).status_code == 200, path
    with app.app_context():
        assert _bin("X-1") is None


def test_a_fresh_install_can_add_a_clearance_bin_for_short_dated_stock(app, floor, login_as):
    """The expiry list moves stock to a clearance bin: a supervisor must be able to create one."""
    client = login_as("supervisor")
    path = f"/locations/{floor['wh']}/bins/new"
    data = {"csrf_token": page_csrf(client, path), "code": "clr-01", "bin_type": "clearance", "capacity": ""}
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        assert _bin("CLR-01").bin_type == "clearance"
