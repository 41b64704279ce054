"""The catalog screens: SKU list and detail, import (CSV/XLSX, upsert by code, row errors) and export."""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf

HEADER = ("code,name,name_zh,barcodes,unit,weight_g,length_mm,width_mm,height_mm,cost,price,image_url,active,"
          "kit_components")
EXPORT_HEADER = HEADER + ",lot_tracked,shelf_life_days,min_receipt_life_days,min_ship_life_days"


@pytest.fixture
def catalog(app):
    """Three SKUs: a tea with two barcodes, a mug, and a gift set kit of both."""
    from erp_core.catalog.services import create_sku, set_kit_components
    from erp_core.extensions import db

    with app.app_context():
        create_sku("TEA-LJ-250", "Longjing tea", name_zh="龙井茶", barcodes=["6901234567892", "INT-TEA-1"],
                   weight_g=260, dims_mm=(120, 80, 60), cost=Decimal("55.50"), price=Decimal("128.00"),
                   image_url="https://img.example.com/tea.jpg")
        create_sku("MUG-CER-350", "=Mug, ceramic", price=Decimal("68"))
        create_sku("GIFT-SET", "Gift set", name_zh="礼盒")
        set_kit_components("GIFT-SET", [("TEA-LJ-250", 2), ("MUG-CER-350", 1)])
        db.session.remove()


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def _import(client, name: str, content: bytes):
    token = page_csrf(client, "/catalog/import")
    return client.post("/catalog/import", data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _snapshot(app) -> list[tuple]:
    """Every SKU with its barcodes and kit components, to compare before and after."""
    from erp_core.catalog.models import KitComponent, Sku, SkuBarcode
    from erp_core.extensions import db

    with app.app_context():
        skus = [(s.code, s.name, s.name_zh, s.unit, s.weight_g, s.length_mm, s.width_mm, s.height_mm, s.cost, s.price,
                 s.image_url, s.active, s.is_kit) for s in db.session.scalars(select(Sku).order_by(Sku.code))]
        barcodes = sorted(db.session.execute(select(SkuBarcode.code, SkuBarcode.sku_id, SkuBarcode.id)).all())
        kits = sorted(db.session.execute(select(KitComponent.kit_sku_id, KitComponent.component_sku_id,
                                                KitComponent.quantity)).all())
        db.session.remove()
    return [skus, barcodes, kits]


def _tiles(page: str) -> dict[str, int]:
    return {label: int(num) for num, label in re.findall(
        r'<span class="num">(\d+)</span><span class="label">([^<]+)</span>', page)}


def test_exporting_then_importing_the_csv_changes_nothing(app, login_as, catalog):
    client = login_as("purchaser")
    before = _snapshot(app)
    exported = client.get("/catalog/export.csv")
    assert exported.status_code == 200 and exported.headers["Content-Disposition"].startswith("attachment;")
    text = exported.data.decode("utf-8-sig")
    assert text.splitlines()[0] == EXPORT_HEADER
    assert "GIFT-SET,Gift set,礼盒,,pcs,0,0,0,0,0.00,0.00,,true,MUG-CER-350*1|TEA-LJ-250*2" in text
    assert "TEA-LJ-250,Longjing tea,龙井茶,6901234567892|INT-TEA-1,pcs,260,120,80,60,55.50,128.00" in text
    assert "\"'=Mug, ceramic\"" in text  # a name Excel would run as a formula is made inert
    page = _import(client, "catalog.csv", exported.data).get_data(as_text=True)
    assert _tiles(page) == {"SKUs created": 0, "SKUs updated": 0, "SKUs unchanged": 3, "Errors": 0}
    assert _snapshot(app) == before
    assert client.get("/catalog/export.csv").data == exported.data


def test_exporting_then_importing_the_xlsx_changes_nothing(app, login_as, catalog):
    client = login_as("purchaser")
    before = _snapshot(app)
    exported = client.get("/catalog/export.xlsx")
    assert exported.status_code == 200 and exported.mimetype.endswith("spreadsheetml.sheet")
    page = _import(client, "catalog.xlsx", exported.data).get_data(as_text=True)
    assert _tiles(page) == {"SKUs created": 0, "SKUs updated": 0, "SKUs unchanged": 3, "Errors": 0}
    assert _snapshot(app) == before


def test_rows_create_new_skus_and_update_known_ones_by_code(app, login_as, catalog):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db

    client = login_as("admin")
    content = _csv("TEA-LJ-250,Longjing tea (new),龙井新茶,6901234567892,box,300,120,80,60,56.00,138,,true,",
                   "NOTE-A5,A5 notebook,A5笔记本,4006381333931,pcs,120,210,148,10,3.2,9.9,,false,")
    page = _import(client, "skus.csv", content).get_data(as_text=True)
    assert _tiles(page) == {"SKUs created": 1, "SKUs updated": 1, "SKUs unchanged": 0, "Errors": 0}
    with app.app_context():
        tea = db.session.scalar(select(Sku).filter_by(code="TEA-LJ-250"))
        assert (tea.name, tea.unit, tea.weight_g, tea.price) == ("Longjing tea (new)", "box", 300, Decimal("138.00"))
        assert [b.code for b in tea.barcodes] == ["6901234567892"]  # the file's barcodes replace the old ones
        assert tea.image_url == ""
        note = db.session.scalar(select(Sku).filter_by(code="NOTE-A5"))
        assert (note.name_zh, note.cost, note.active) == ("A5笔记本", Decimal("3.20"), False)
        db.session.remove()


def test_a_column_left_out_keeps_what_the_catalog_has(app, login_as, catalog):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db

    client = login_as("admin")
    page = _import(client, "prices.csv", _csv("TEA-LJ-250,130.00", header="code,price")).get_data(as_text=True)
    assert _tiles(page)["SKUs updated"] == 1
    with app.app_context():
        tea = db.session.scalar(select(Sku).filter_by(code="TEA-LJ-250"))
        assert tea.price == Decimal("130.00") and tea.name_zh == "龙井茶" and len(tea.barcodes) == 2
        db.session.remove()


def test_bad_rows_are_reported_with_line_and_column_and_change_nothing(app, login_as, catalog):
    client = login_as("admin")
    before = _snapshot(app)
    content = _csv(
        "TEA-LJ-250,Renamed tea,,6901234567893,pcs,0,0,0,0,0,0,,true,",  # line 2: wrong check digit
        "MUG-CER-350,Mug,,,pcs,-5,0,0,0,0,0,,true,",                     # line 3: negative weight
        "NEW-1,,,,pcs,0,0,0,0,0,0,,true,",                               # line 4: new SKU without a name
        "GIFT-SET,Gift set,,,pcs,0,0,0,0,0,0,,true,TEA-LJ-250x2",        # line 5: malformed component
        "NEW-2,New,,,pcs,0,0,0,0,abc,0,javascript:alert(1),maybe,",      # line 6: price, link and flag
        "MUG-CER-350,Mug again,,,pcs,0,0,0,0,0,0,,true,",                # line 7: code seen before
    )
    response = _import(client, "bad.csv", content)
    page = response.get_data(as_text=True)
    assert _tiles(page)["Errors"] >= 7 and _tiles(page)["SKUs created"] == 0 and _tiles(page)["SKUs updated"] == 0
    rows = re.findall(r"<tr><td>bad\.csv</td><td class=\"num\">(\d+)</td><td>([^<]*)</td>", page)
    assert set(rows) >= {("2", "barcodes"), ("3", "weight_g"), ("4", "name"), ("5", "kit_components"),
                         ("6", "cost"), ("6", "image_url"), ("6", "active"), ("7", "code")}
    assert "wrong EAN-13 check digit" in html.unescape(page) or "barcode is not valid" in page
    assert _snapshot(app) == before
    # and the report downloads with the same rows
    errors = html.unescape(re.search(r'name="errors" value="([^"]*)"', page).group(1))
    report = client.post("/catalog/import/errors.csv", data={"errors": errors, "csrf_token": page_csrf(client)})
    assert report.status_code == 200 and report.headers["Content-Disposition"].startswith("attachment;")
    lines = report.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "file,line,column,code,reason,value"
    assert any(line.startswith('bad.csv,2,barcodes,invalid_barcode,"wrong EAN-13 check digit') for line in lines)
    assert "bad.csv,3,weight_g,bad_whole_number,not a whole number of 0 or more,'-5" in lines
    assert "bad.csv,5,kit_components,unknown_sku,no SKU TEA-LJ-250x2,TEA-LJ-250x2" in lines


def test_a_good_row_is_saved_even_when_a_neighbour_is_refused_by_the_catalog(app, login_as, catalog):
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db

    client = login_as("admin")
    content = _csv("MUG-CER-350,Mug,,6901234567892,pcs,0,0,0,0,0,0,,true,",  # barcode belongs to the tea
                   "NEW-3,Spoon,勺子,,pcs,20,0,0,0,1,2,,true,")
    page = _import(client, "mixed.csv", content).get_data(as_text=True)
    assert _tiles(page)["SKUs created"] == 1 and _tiles(page)["Errors"] == 1
    assert "barcode belongs to another SKU" in page
    with app.app_context():
        mug = db.session.scalar(select(Sku).filter_by(code="MUG-CER-350"))
        assert mug.name == "=Mug, ceramic" and mug.barcodes == []  # the refused row changed nothing
        assert db.session.scalar(select(Sku).filter_by(code="NEW-3")).name_zh == "勺子"
        db.session.remove()


def test_kit_components_are_set_from_the_file_and_a_kit_in_a_kit_is_refused(app, login_as, catalog):
    from erp_core.catalog.models import Sku
    from erp_core.catalog.services import kit_components_of
    from erp_core.extensions import db

    client = login_as("admin")
    content = _csv("DUO,Duo pack,,,pcs,0,0,0,0,0,0,,true,SPOON*2|MUG-CER-350*1",  # a component defined below
                   "SPOON,Spoon,,,pcs,0,0,0,0,0,0,,true,",
                   "BIG,Big box,,,pcs,0,0,0,0,0,0,,true,GIFT-SET*1",             # GIFT-SET is a kit
                   "GIFT-SET,Gift set,礼盒,,pcs,0,0,0,0,0,0,,true,TEA-LJ-250*3")  # change the quantity
    page = _import(client, "kits.csv", content).get_data(as_text=True)
    assert _tiles(page) == {"SKUs created": 2, "SKUs updated": 1, "SKUs unchanged": 0, "Errors": 1}
    assert re.search(r"<td>kits\.csv</td><td class=\"num\">4</td><td>kit_components</td><td>a kit cannot contain "
                     r"another kit</td>", page)
    with app.app_context():
        duo = db.session.scalar(select(Sku).filter_by(code="DUO"))
        assert duo.is_kit and {(c.component.code, c.quantity) for c in kit_components_of(duo)} == {
            ("SPOON", 2), ("MUG-CER-350", 1)}
        gift = db.session.scalar(select(Sku).filter_by(code="GIFT-SET"))
        assert [(c.component.code, c.quantity) for c in kit_components_of(gift)] == [("TEA-LJ-250", 3)]
        assert db.session.scalar(select(Sku).filter_by(code="BIG")) is None
        db.session.remove()


def test_an_xlsx_file_reports_sheet_rows(app, login_as, catalog):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "barcodes", "weight_g"])
    sheet.append(["XL-1", "From Excel", 6901234567892.0, 12.0])  # a barcode Excel stored as a number: taken
    sheet.append(["XL-2", "Bad weight", None, 1.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = _import(login_as("admin"), "skus.xlsx", buffer.getvalue()).get_data(as_text=True)
    assert _tiles(page)["Errors"] == 2 and _tiles(page)["SKUs created"] == 0
    assert re.search(r"<td>skus\.xlsx</td><td class=\"num\">2</td><td>barcodes</td>", page)
    assert re.search(r"<td>skus\.xlsx</td><td class=\"num\">3</td><td>weight_g</td>", page)


def test_a_file_without_a_code_column_or_unreadable_is_reported(login_as, catalog):
    client = login_as("admin")
    missing = _import(client, "x.csv", _csv("a,b", header="name,price")).get_data(as_text=True)
    assert "required column is missing" in missing and "<td>code</td>" in missing
    broken = _import(client, "x.xlsx", b"PK\x03\x04 broken").get_data(as_text=True)
    assert "file cannot be read as CSV or XLSX" in broken


def test_set_kit_components_refuses_itself_a_kit_and_turning_a_component_into_a_kit(app, catalog):
    from erp_core.catalog.models import KitComponent
    from erp_core.catalog.services import set_kit_components
    from erp_core.errors import DomainError
    from erp_core.extensions import db

    with app.app_context():
        refusals = {}
        for kit, parts in [("GIFT-SET", [("GIFT-SET", 1)]), ("MUG-CER-350", [("GIFT-SET", 1)]),
                           ("TEA-LJ-250", [("MUG-CER-350", 1)]), ("GIFT-SET", [("NOPE", 1)]),
                           ("GIFT-SET", [("TEA-LJ-250", 0)])]:
            with pytest.raises(DomainError) as caught:
                set_kit_components(kit, parts)
            refusals[(kit, parts[0][0], parts[0][1])] = caught.value.code
        assert refusals == {("GIFT-SET", "GIFT-SET", 1): "kit_contains_itself",
                            ("MUG-CER-350", "GIFT-SET", 1): "kit_in_kit",
                            ("TEA-LJ-250", "MUG-CER-350", 1): "component_cannot_be_kit",
                            ("GIFT-SET", "NOPE", 1): "unknown_sku", ("GIFT-SET", "TEA-LJ-250", 0): "bad_quantity"}
        assert db.session.scalar(select(func.count(KitComponent.id))) == 2  # nothing changed
        gift = set_kit_components("GIFT-SET", [])
        assert not gift.is_kit and db.session.scalar(select(func.count(KitComponent.id))) == 0
        db.session.remove()


def test_the_list_searches_code_names_and_barcodes_and_pages(app, login_as, catalog):
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db

    client = login_as("picker")
    assert "TEA-LJ-250" in client.get("/catalog/?q=龙井").get_data(as_text=True)
    assert "TEA-LJ-250" in client.get("/catalog/?q=INT-TEA").get_data(as_text=True)
    by_code = client.get("/catalog/?q=mug-cer").get_data(as_text=True)
    assert "MUG-CER-350" in by_code and "TEA-LJ-250" not in by_code
    with app.app_context():
        for n in range(60):
            create_sku(f"ZZ-{n:03d}", f"Filler {n}")
        db.session.remove()
    first = client.get("/catalog/").get_data(as_text=True)
    second = client.get("/catalog/?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "ZZ-059" not in first and "ZZ-059" in second


def test_the_detail_page_shows_barcodes_and_kit_components(login_as, catalog):
    client = login_as("viewer")
    gift = client.get("/catalog/GIFT-SET").get_data(as_text=True)
    assert "TEA-LJ-250" in gift and "MUG-CER-350" in gift and "Save kit components" not in gift
    tea = client.get("/catalog/TEA-LJ-250").get_data(as_text=True)
    assert "6901234567892" in tea and "EAN-13" in tea and "GIFT-SET" in tea
    assert client.get("/catalog/NOPE").status_code == 404


def test_kit_components_can_be_edited_on_the_detail_page(app, login_as, catalog):
    from erp_core.catalog.models import Sku
    from erp_core.catalog.services import kit_components_of
    from erp_core.extensions import db

    client = login_as("purchaser")
    token = page_csrf(client, "/catalog/GIFT-SET")
    client.post("/catalog/kits", data={"csrf_token": token, "code": "GIFT-SET", "components": "TEA-LJ-250*4"})
    refused = client.post("/catalog/kits", data={"csrf_token": token, "code": "TEA-LJ-250",
                                                 "components": "GIFT-SET*1"}, follow_redirects=True)
    assert "a kit cannot contain another kit" in refused.get_data(as_text=True)
    with app.app_context():
        gift = db.session.scalar(select(Sku).filter_by(code="GIFT-SET"))
        assert [(c.component.code, c.quantity) for c in kit_components_of(gift)] == [("TEA-LJ-250", 4)]
        db.session.remove()


def test_only_catalog_editors_may_import(login_as, catalog):
    picker = login_as("picker")
    assert picker.get("/catalog/").status_code == 200
    assert picker.get("/catalog/import").status_code == 403
    assert _import(picker, "x.csv", _csv("A,B", header="code,name")).status_code == 403
