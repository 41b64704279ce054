"""The label routes as the pack station and the office call them: waybills in every size (and by default
the carrier's), their ZPL, packing slips, SSCC pallet labels, a wave's waybills as one document in
pick order; permissions; and the template editor's sandbox, preview, save and reset."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf
from tests.label_scans import decode, needs_poppler, rasterisers
from tests.shipping_helpers import order_lines, shipping_floor
from tests.unit.test_label_documents import parse_zpl, pdf_text

pytestmark = pytest.mark.timeout(300)
HOSTILE_NAME = "<img src=file:///etc/passwd>"


@pytest.fixture
def desk(app, users):
    """Three orders picked in one wave and packed: the first to a hostile name, each with routing and hub codes."""
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderLine
    from wms.shipping.models import Shipment
    from wms.shipping.services import PackedPackage, pack_out

    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)], [("C", 1)]])
    with app.app_context():
        db.session.get(Order, desk["orders"][0]).ship_name = HOSTILE_NAME
        db.session.commit()
        shipments = []
        for n, order_id in enumerate(desk["orders"]):
            lines = order_lines(order_id)
            units = {i: db.session.get(OrderLine, i).quantity for i in lines.values()}
            weight = 150 + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())
            outcome = pack_out(order_id, station_location_id=desk["station"], user_id=None,
                               packages=[PackedPackage(desk["boxes"]["M"], weight, units)])
            shipment = db.session.get(Shipment, outcome.shipment.id)
            shipment.routing_code, shipment.hub_code = f"310-A1{n} 0{n}", f"HZ31{n}"
            shipments.append(shipment.id)
        db.session.commit()
        desk["shipments"] = shipments
        desk["numbers"] = [db.session.get(Shipment, s).tracking_number for s in shipments]
        desk["order_numbers"] = [db.session.get(Order, o).external_id for o in desk["orders"]]
        db.session.remove()
    return desk


def _pages(pdf: bytes):
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [tuple(round(v / 72 * 25.4) for v in page.get_size()) for page in document]
    finally:
        document.close()


@needs_poppler
@pytest.mark.parametrize("fmt", ["100x150", "76x130", "100x180"])
def test_the_packer_prints_a_waybill_in_each_size_and_every_barcode_scans(app, desk, login_as, fmt, tmp_path):
    client = login_as("packer")
    # when the pack station asks for the second shipment's waybill in a size
    response = client.get(f"/shipping/shipments/{desk['shipments'][1]}/waybill.pdf?format={fmt}&lang=zh")

    # then it is one page of exactly that size, never cached, whose barcodes decode to its numbers
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    w, h = fmt.split("x")
    assert _pages(response.data) == [(int(w), int(h))]
    receipt = [desk["numbers"][1]] if fmt == "100x180" else []  # the 二联's receipt part repeats the number
    expected = sorted([desk["numbers"][1], "HZ311", desk["order_numbers"][1], *receipt])
    for renderer, pages in rasterisers(response.data, tmp_path).items():
        assert sorted(decode(pages[0]).get("Code128", [])) == expected, renderer
    text = pdf_text(response.data)
    assert "310-A11 01" in text and "138****8111" in text and "中通快递" in text


def test_without_a_format_the_waybill_comes_in_the_carrier_s_label_format(app, desk, login_as):
    # ZTO's label format is the 76x130 一联
    client = login_as("packer")
    response = client.get(f"/shipping/shipments/{desk['shipments'][0]}/waybill.pdf")
    assert _pages(response.data) == [(76, 130)]
    assert client.get(f"/shipping/shipments/{desk['shipments'][0]}/waybill.pdf?format=A4").status_code == 400


def test_an_order_field_with_markup_prints_as_text_and_fetches_nothing(app, desk, login_as):
    response = login_as("packer").get(f"/shipping/shipments/{desk['shipments'][0]}/waybill.pdf?format=100x150")
    text = pdf_text(response.data)
    assert HOSTILE_NAME in text
    assert "root:" not in text and b"root:x:0:0" not in response.data


@pytest.mark.parametrize("dpi", [203, 300])
def test_the_waybill_zpl_is_sized_for_the_carrier_s_label_at_the_printer_s_dpi(app, desk, login_as, dpi):
    client = login_as("packer")
    response = client.get(f"/shipping/shipments/{desk['shipments'][2]}/waybill.zpl?dpi={dpi}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [label] = parse_zpl(response.get_data(as_text=True))
    assert (label["pw"], label["ll"]) == (round(76 * dpi / 25.4), round(130 * dpi / 25.4))
    assert sorted(d for _, d in label["barcodes"]) == sorted([desk["numbers"][2], "HZ312", desk["order_numbers"][2]])
    assert client.get(f"/shipping/shipments/{desk['shipments'][2]}/waybill.zpl?dpi=600").status_code == 400


@needs_poppler
@pytest.mark.parametrize("size", ["a4", "100x150"])
def test_the_packing_slip_lists_every_line_and_its_barcodes_scan(app, desk, login_as, size, tmp_path):
    client = login_as("packer")
    response = client.get(f"/shipping/shipments/{desk['shipments'][0]}/packing-slip.pdf?size={size}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert _pages(response.data) == [(210, 297) if size == "a4" else (100, 150)]
    text = pdf_text(response.data)
    assert "Thermos cup" in text and "Phone case" in text
    for renderer, pages in rasterisers(response.data, tmp_path).items():
        assert sorted(decode(pages[0]).get("Code128", [])) == sorted([desk["numbers"][0], desk["order_numbers"][0]]), \
            renderer
    zpl = client.get(f"/shipping/shipments/{desk['shipments'][0]}/packing-slip.zpl?dpi=203")
    assert parse_zpl(zpl.get_data(as_text=True))[0]["pw"] == 799


def test_a_wave_s_waybills_come_as_one_document_in_pick_order(app, desk, login_as, tmp_path):
    from erp_core.extensions import db
    from wms.picking.models import PickList, Wave, WaveOrder

    with app.app_context():
        # the wave with the most orders (single-item orders may be waved apart from the others)
        wave_id = db.session.scalar(select(WaveOrder.wave_id).group_by(WaveOrder.wave_id)
                                    .order_by(func.count().desc(), WaveOrder.wave_id).limit(1))
        assert db.session.get(Wave, wave_id) is not None
        order_ids = list(db.session.scalars(
            select(WaveOrder.order_id).outerjoin(PickList, PickList.id == WaveOrder.pick_list_id)
            .where(WaveOrder.wave_id == wave_id).order_by(PickList.sequence, WaveOrder.sequence, WaveOrder.id)))
    by_order = dict(zip(desk["orders"], desk["numbers"], strict=True))
    response = login_as("packer").get(f"/shipping/waves/{wave_id}/waybills.pdf")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    pages = rasterisers(response.data, tmp_path)["pdfium"]
    assert len(pages) == len(order_ids) >= 2
    printed = [next(t for t in decode(page)["Code128"] if t in by_order.values()) for page in pages]
    assert printed == [by_order[o] for o in order_ids]


def test_a_wave_with_nothing_packed_prints_nothing_and_says_so(app, users, login_as):
    from erp_core.extensions import db
    from wms.picking.models import Wave

    shipping_floor(app, users, orders=[[("A", 1)]])
    with app.app_context():
        wave_id = db.session.scalar(select(Wave.id))
    response = login_as("packer").get(f"/shipping/waves/{wave_id}/waybills.pdf")
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/shipping/shipments/{s}/waybill.pdf", "/shipping/shipments/{s}/waybill.zpl",
                                  "/shipping/shipments/{s}/packing-slip.pdf", "/shipping/sscc.pdf?serial=1"])
def test_a_viewer_may_not_print_labels(app, desk, login_as, path):
    assert login_as("viewer").get(path.format(s=desk["shipments"][0])).status_code == 403


@needs_poppler
def test_a_manifest_s_pallet_label_carries_its_sscc_ship_to_postcode_and_consignment(app, desk, login_as, tmp_path):
    from erp_core.extensions import db
    from wms.shipping.models import Manifest, Shipment

    with app.app_context():
        manifest = Manifest(reference="MF-20261120-0001", carrier_id=desk["zto"], warehouse_id=desk["wh"])
        db.session.add(manifest)
        db.session.flush()
        for shipment_id in desk["shipments"]:
            db.session.get(Shipment, shipment_id).manifest_id = manifest.id
        db.session.commit()
        manifest_id = manifest.id
    client = login_as("packer")
    response = client.get(f"/shipping/sscc.pdf?manifest_id={manifest_id}&postcode=200120")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    from wms.shipping.sscc import make_sscc

    sscc = make_sscc("0614141", manifest_id, 1)
    for renderer, pages in rasterisers(response.data, tmp_path).items():
        assert sorted(decode(pages[0], hri=True)["Code128"]) == sorted(
            [f"(00){sscc}", "(420)200120(401)MF-20261120-0001"]), renderer
    zpl = client.get(f"/shipping/sscc.zpl?manifest_id={manifest_id}&postcode=200120&dpi=300")
    assert "00" + sscc in [d for _, d in parse_zpl(zpl.get_data(as_text=True))[0]["barcodes"]]


def test_the_pallet_label_form_prints_a_typed_serial_and_refuses_bad_input(app, desk, login_as):
    client = login_as("packer")
    assert "serial" in client.get("/shipping/sscc").get_data(as_text=True)
    assert client.get("/shipping/sscc.pdf?serial=42&postcode=200120&consignment=C-1").status_code == 200
    assert client.get("/shipping/sscc.pdf?serial=abc").status_code == 400
    refused = client.get("/shipping/sscc.pdf?serial=42&postcode=" + "9" * 25)
    assert refused.status_code == 422 and "(420)" in refused.get_data(as_text=True)


# --- the template editor -------------------------------------------------------------------------------------

HOSTILE_TEMPLATE = ('<html><head><link rel="stylesheet" href="http://example.com/x.css">'
                    '<style>body { background: url(file:///etc/passwd) }</style></head>'
                    '<body><img src="file:///etc/passwd"><p>sample</p></body></html>')


def test_only_shipping_managers_may_edit_label_templates(app, desk, login_as):
    client = login_as("packer")
    assert client.get("/shipping/label-templates").status_code == 403
    assert client.post("/shipping/label-templates/waybill.html", data={"body": "x", "csrf_token": page_csrf(client)}
                       ).status_code == 403


def test_the_preview_renders_the_sample_and_lists_what_the_sandbox_refused(app, desk, login_as):
    client = login_as("supervisor")
    page = client.get("/shipping/label-templates/waybill.html").get_data(as_text=True)
    assert "textarea" in page and "hx-post" in page
    response = client.post("/shipping/label-templates/waybill.html/preview",
                           data={"body": HOSTILE_TEMPLATE, "csrf_token": page_csrf(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "http://example.com/x.css" in html and "file:///etc/passwd" in html  # listed as refused
    assert 'src="data:image/png;base64,' in html


def test_a_template_reaching_for_python_internals_is_refused_and_not_saved(app, desk, login_as):
    from erp_core.extensions import db
    from wms.shipping.models import LabelTemplate

    client = login_as("supervisor")
    body = "<p>{{ ''.__class__.__mro__ }}</p>"
    preview = client.post("/shipping/label-templates/waybill.html/preview",
                          data={"body": body, "csrf_token": page_csrf(client)}).get_data(as_text=True)
    assert "data-preview-error" in preview
    response = client.post("/shipping/label-templates/waybill.html", data={"body": body,
                                                                           "csrf_token": page_csrf(client)})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LabelTemplate)) == 0


def test_a_saved_override_prints_until_it_is_reset_to_the_file(app, desk, login_as):
    from wms.shipping.template_store import default_body

    client = login_as("supervisor")
    edited = default_body("waybill.html").replace('<div class="carrier">{{ d.carrier_name }}',
                                                  '<div class="carrier">{{ d.carrier_name }} EDITED', 1)
    assert "EDITED" in edited
    saved = client.post("/shipping/label-templates/waybill.html", data={"body": edited,
                                                                        "csrf_token": page_csrf(client)})
    assert saved.status_code == 302
    waybill = f"/shipping/shipments/{desk['shipments'][1]}/waybill.pdf"
    assert "EDITED" in pdf_text(client.get(waybill).data)
    assert "EDITED" in client.get("/shipping/label-templates/waybill.html").get_data(as_text=True)

    client.post("/shipping/label-templates/waybill.html/reset", data={"csrf_token": page_csrf(client)})
    assert "EDITED" not in pdf_text(client.get(waybill).data)
    assert re.search(r"Default file|默认文件", client.get("/shipping/label-templates").get_data(as_text=True))
