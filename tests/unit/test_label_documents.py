"""Every label type printed as a 203-dpi thermal printer would (pdfium and poppler, 1-bit) scans back to
its data; Chinese text is real text in an embedded CJK font; the ZPL of every thermal label has the
label's size and barcode fields carrying the right data; templates render in a sandbox that fetches
nothing outside our static files."""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import subprocess
import zlib
from dataclasses import replace

import pytest

from tests.label_scans import decode, needs_poppler, pdfium_pages, rasterisers
from wms.barcodes import BarcodeDoesNotFit, zpl_decode_field_data
from wms.documents import StaticOnlyURLFetcher
from wms.shipping import labels, template_store, zpl
from wms.shipping.label_data import Party, sample_waybill
from wms.shipping.sscc import PalletLabel, make_sscc

pytestmark = pytest.mark.timeout(300)

# Tracking and order numbers of 10 to 31 characters, shaped as carriers and shops issue them.
TRACKING = ["7000000001", "ZT7000000001", "SF1234567890123", "JDVA12345678901-1-1", "YT" + "4" * 29,
            "JDX" + "A1B2C3D4E5F6G7H8I9J0K1L2M3N4"]
ORDERS = ["1234567890", "TM202611200001", "3301234567890123456", "PDD-20261120-ABCDEFGH-0001",
          "ORDER-ABCDEFGHIJKLMNOPQRSTUVWXY"]
HUBS = ["HZ310", "310-A12", "SH-200-PUDONG"]


def waybills(fmt: str) -> list:
    base = sample_waybill(fmt)
    return [replace(base, tracking_number=t, order_number=ORDERS[n % len(ORDERS)], hub_code=HUBS[n % len(HUBS)])
            for n, t in enumerate(TRACKING)]


def expected_codes(label) -> list[str]:
    codes = [label.tracking_number, label.hub_code, label.order_number]
    return sorted(codes + ([label.tracking_number] if label.label_format == "100x180" else []))


@needs_poppler
@pytest.mark.parametrize("fmt", ["100x150", "76x130", "100x180"])
def test_every_waybill_barcode_scans_back_with_pdfium_and_poppler_at_203_dpi(fmt, tmp_path):
    # given waybills of every shape of number, in one format (the 二联 refuses a code its receipt cannot hold)
    printable = []
    for label in waybills(fmt):
        try:
            labels.waybill_layout(label, labels.FORMATS[fmt])
        except BarcodeDoesNotFit:
            assert fmt == "100x180" and len(label.tracking_number) == 31
            continue
        printable.append(label)
    assert len(printable) >= 5

    # when they are printed as one document and rasterised, 1-bit, by both renderers
    pdf = labels.waybills_pdf(printable)
    for renderer, pages in rasterisers(pdf, tmp_path).items():
        # then each page is one parcel and its tracking number, hub code and order number all decode
        assert len(pages) == len(printable), renderer
        for label, page in zip(printable, pages, strict=True):
            assert abs(page.size[0] - labels.FORMATS[fmt].width_mm / 25.4 * 203) <= 1, renderer  # the page size
            assert sorted(decode(page).get("Code128", [])) == expected_codes(label), (renderer, label.tracking_number)


@needs_poppler
@pytest.mark.parametrize("size", ["a4", "100x150"])
def test_packing_slip_barcodes_scan_back_and_it_lists_every_line_with_its_lot(size, tmp_path):
    slips = [replace(sample_waybill(), order_number=o, tracking_number=t)
             for o, t in zip(ORDERS, TRACKING, strict=False)]
    pdf = labels.packing_slips_pdf(slips, size=size)
    for renderer, pages in rasterisers(pdf, tmp_path).items():
        assert len(pages) == len(slips), renderer
        for slip, page in zip(slips, pages, strict=True):
            expected = sorted([slip.order_number, slip.tracking_number])
            assert sorted(decode(page).get("Code128", [])) == expected, renderer
    text = pdf_text(pdf)
    assert "TEA-LJ-250" in text and "L2026-10" in text and "龙井茶" in text


@needs_poppler
@pytest.mark.parametrize("consignment", ["MF-20261120-0001", "C" + "7" * 29])
def test_the_sscc_label_scans_back_to_its_gs1_element_strings(consignment, tmp_path):
    # given a pallet label with the SSCC, the ship-to postcode and a consignment number
    label = PalletLabel(make_sscc("0614141", 123), "200120", consignment, ship_to="中通 上海分拨",
                        ship_from="上海一号仓", carrier="中通快递")
    pdf = labels.sscc_pdf([label])
    for renderer, pages in rasterisers(pdf, tmp_path).items():
        # then the scanner reads GS1-128 (FNC1 first) with the right elements, the SSCC alone in its own code
        found = decode(pages[0], hri=True).get("Code128", [])
        assert sorted(found) == sorted([f"(00){label.sscc}", f"(420)200120(401){consignment}"]), renderer
        raw = decode(pages[0]).get("GS1-128", [])
        assert sorted(raw) == sorted(["00" + label.sscc, f"420200120\x1d401{consignment}"]), renderer
    assert "(00)" + label.sscc in pdf_text(pdf)


def pdf_text(pdf: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts missing: install poppler-utils")
def test_a_chinese_waybill_embeds_a_cjk_font_and_its_text_is_real_text(tmp_path):
    # given a waybill to 王芳 in Chinese
    pdf = labels.waybills_pdf([sample_waybill("76x130")], lang="zh")
    (tmp_path / "w.pdf").write_bytes(pdf)

    # then the PDF embeds Noto Sans CJK and the recipient, the address and the carrier are extractable text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "w.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto-?Sans-?CJK\S*\s.*\byes\b", fonts), fonts
    text = pdf_text(pdf)
    for words in ("王芳", "138****8000", "浙江省", "中通快递", "ZT7000000001"):
        assert words in text


# --- ZPL ---------------------------------------------------------------------------------------------------------

def parse_zpl(text: str) -> list[dict]:
    """Each ^XA..^XZ label: its ^PW/^LL, its barcode fields (^BY module, ^FD decoded) and its graphic fields."""
    out = []
    for body in re.findall(r"\^XA(.*?)\^XZ", text, flags=re.S):
        fields = re.findall(r"\^BY(\d+),\d+,(\d+)\^BC([NR]),\d+,N,N,N,N\^FD(.*?)\^FS", body)
        out.append({"pw": int(re.search(r"\^PW(\d+)", body).group(1)),
                    "ll": int(re.search(r"\^LL(\d+)", body).group(1)),
                    "barcodes": [(int(m), zpl_decode_field_data(fd)) for m, _, _, fd in fields],
                    "graphics": re.findall(r"\^GFA,(\d+),(\d+),(\d+),(:Z64:[^:]+:[0-9A-F]{4})", body)})
    return out


def dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("fmt", ["100x150", "76x130", "100x180"])
def test_waybill_zpl_is_sized_for_the_label_and_its_barcodes_carry_the_numbers(fmt, dpi):
    printable = [w for w in waybills(fmt) if not (fmt == "100x180" and len(w.tracking_number) == 31)]
    parsed = parse_zpl(zpl.waybill_zpl(printable, dpi=dpi))
    f = labels.FORMATS[fmt]
    assert len(parsed) == len(printable)
    for label, found in zip(printable, parsed, strict=True):
        assert (found["pw"], found["ll"]) == (dots(f.width_mm, dpi), dots(f.height_mm, dpi))
        assert sorted(data for _, data in found["barcodes"]) == expected_codes(label)
        assert min(module for module, _ in found["barcodes"]) >= {203: 2, 300: 3}[dpi]
        assert found["graphics"], "the Chinese text is drawn as graphic fields"


def test_graphic_fields_are_valid_z64_of_the_declared_size():
    found = parse_zpl(zpl.waybill_zpl([sample_waybill()]))[0]["graphics"]
    for total, _, row_bytes, payload in found:
        _, _, text, crc = payload.split(":")
        assert f"{binascii.crc_hqx(text.encode(), 0):04X}" == crc
        raw = zlib.decompress(base64.b64decode(text))
        assert len(raw) == int(total) and int(total) % int(row_bytes) == 0 and any(raw)


@pytest.mark.parametrize("dpi", [203, 300])
def test_packing_slip_and_sscc_zpl_carry_their_codes(dpi):
    slip = parse_zpl(zpl.packing_slip_zpl([sample_waybill()], dpi=dpi))[0]
    assert (slip["pw"], slip["ll"]) == (dots(100, dpi), dots(150, dpi))
    assert sorted(d for _, d in slip["barcodes"]) == sorted(["TM202611200001", "ZT7000000001"])
    label = PalletLabel(make_sscc("0614141", 5), "200120", "MF-0001")
    sscc = parse_zpl(zpl.sscc_zpl([label], dpi=dpi))[0]
    assert (sscc["pw"], sscc["ll"]) == (dots(100, dpi), dots(150, dpi))
    assert sorted(d for _, d in sscc["barcodes"]) == sorted(["00" + label.sscc, "420200120\xf1401MF-0001"])


def test_zpl_control_characters_in_an_address_cannot_start_a_printer_command():
    evil = replace(sample_waybill(), recipient=Party("^XZ^XA~JR", "138****8000", "^FO0,0^GB800,800,800^FS"))
    text = zpl.waybill_zpl([evil])
    assert text.count("^XA") == 1 and text.count("^XZ") == 1 and "~JR" not in text and "^GB800" not in text


# --- the sandbox -------------------------------------------------------------------------------------------------

HOSTILE = """<!doctype html><html><head><link rel="stylesheet" href="http://example.com/x.css">
<style>body { background: url(file:///etc/passwd); }</style></head>
<body><img src="file:///etc/passwd">{% for l in labels %}<p>{{ l.d.recipient.name }}</p>{% endfor %}</body></html>"""


def test_a_hostile_template_and_order_field_render_without_fetching_anything():
    # given a template asking for a remote stylesheet and local files, and a recipient whose name is markup
    label = replace(sample_waybill(), recipient=Party('<img src=file:///etc/passwd>', "", ""))
    fetcher = StaticOnlyURLFetcher()

    # when it renders
    pdf = template_store.render_document("waybill.html", labels.waybill_context([label]), lang="en", body=HOSTILE,
                                         url_fetcher=fetcher)

    # then the fetcher refused all three, the name is printed as text, and nothing of the file is in the PDF
    assert set(fetcher.refused) == {"http://example.com/x.css", "file:///etc/passwd"}
    text = pdf_text(pdf)
    assert "<img src=file:///etc/passwd>" in text
    assert "root:" not in text and b"root:x:0:0" not in pdf


@pytest.mark.parametrize("body", ["{{ ''.__class__.__mro__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                  "{{ labels.__class__.__init__.__globals__ }}"])
def test_a_template_reaching_for_python_internals_is_refused_by_the_sandbox(body):
    from erp_core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        template_store.render_html("waybill.html", labels.waybill_context([sample_waybill()]), lang="en", body=body)
    assert refused.value.code == "label_template_unsafe"


def test_the_default_templates_render_in_the_sandbox_too():
    pages = pdfium_pages(labels.waybills_pdf([sample_waybill()]))
    assert len(pages) == 1
