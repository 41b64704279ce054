"""Bin labels render to PDF, scan back to the bin barcodes when printed at 203 dpi, and load nothing foreign.

The scan tests rasterise the PDF with poppler's ``pdftoppm`` at the thermal printer's 203 dpi (the
coarsest grid we print on, so the hardest case) and decode with zxing-cpp.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from wms.documents import STATIC_DIR, BinLabel, ForbiddenResource, StaticOnlyURLFetcher, bin_label_sheet

needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm missing: install Debian poppler-utils to rasterise PDFs"
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext missing: install Debian poppler-utils to read PDF text"
)


def make_bins(count: int) -> list[BinLabel]:
    """``count`` bins of aisle 01, nine levels per bay, arrows up except on the floor level."""
    return [
        BinLabel(
            code=f"A-01-{n // 9 + 1:02d}-{n % 9 + 1}",
            barcode=f"WH1-A-01-{n // 9 + 1:02d}-{n % 9 + 1}",
            warehouse="WH1",
            zone="A",
            aisle="01",
            level=n % 9 + 1,
            arrow="down" if n % 9 == 0 else "up",
        )
        for n in range(count)
    ]


def rasterise(pdf: bytes, tmp_path: Path, dpi: int) -> list[Path]:
    """One PNG per page, in page order, at ``dpi``."""
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def decoded(png: Path) -> dict[str, list[str]]:
    """Texts decoded from one page image, by symbology."""
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(Image.open(png)):
        found.setdefault(result.format.name, []).append(result.text)
    return found


@needs_pdftoppm
def test_thermal_labels_scan_back_to_the_bin_barcodes_at_203_dpi(tmp_path):
    # given three bins
    bins = make_bins(3)

    # when they are printed as 100 x 50 mm thermal labels and rasterised at the printer's resolution
    pages = rasterise(bin_label_sheet(bins, layout="thermal"), tmp_path, dpi=203)

    # then each page carries one label whose Code 128 and QR both decode to that bin's barcode
    assert len(pages) == 3
    for bin_label, page in zip(bins, pages, strict=True):
        assert decoded(page) == {"Code128": [bin_label.barcode], "QRCode": [bin_label.barcode]}


@needs_pdftoppm
@pytest.mark.parametrize(("count", "page_count"), [(24, 1), (26, 2)])
def test_a4_sheet_holds_24_labels_a_page_and_every_code128_scans_at_203_dpi(tmp_path, count, page_count):
    # given a number of bins around one full sheet
    bins = make_bins(count)

    # when they are printed on A4 sheets of 3 x 8 labels and rasterised at 203 dpi
    pages = rasterise(bin_label_sheet(bins, layout="sheet"), tmp_path, dpi=203)

    # then the sheets fill in order and every barcode on them decodes, none hidden or clipped
    assert len(pages) == page_count
    code128s = [text for page in pages for text in decoded(page).get("Code128", [])]
    qrs = [text for page in pages for text in decoded(page).get("QRCode", [])]
    assert sorted(code128s) == sorted(b.barcode for b in bins)
    assert sorted(qrs) == sorted(b.barcode for b in bins)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.css",
        "file:///etc/passwd",
        "file://attacker.example/share/x.png",
        (STATIC_DIR.parent / "pyproject.toml").as_uri(),
        (STATIC_DIR / "css" / ".." / ".." / "pyproject.toml").as_uri(),  # traversal out of static/
        "ftp://example.com/x.png",
    ],
)
def test_url_fetcher_refuses_anything_but_data_and_our_static_files(url):
    with pytest.raises(ForbiddenResource):
        StaticOnlyURLFetcher().fetch(url)


def test_url_fetcher_allows_data_uris_and_files_under_static():
    fetcher = StaticOnlyURLFetcher()
    payload = base64.b64encode(b"<svg/>").decode()

    data = fetcher.fetch(f"data:image/svg+xml;base64,{payload}")
    static = fetcher.fetch((STATIC_DIR / "css" / "app.css").as_uri())
    try:
        assert data.read() == b"<svg/>"
        assert static.read() == (STATIC_DIR / "css" / "app.css").read_bytes()
    finally:
        data.close()
        static.close()


@needs_pdftotext
def test_chinese_label_renders_the_chinese_words(tmp_path):
    # given a label printed in Chinese
    pdf = tmp_path / "zh.pdf"
    pdf.write_bytes(bin_label_sheet(make_bins(1), layout="thermal", lang="zh"))

    # when its text is extracted
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout

    # then the CJK words are real text in the PDF (a missing font would drop or box them)
    assert "库位" in text
    assert "仓库" in text
    assert "层" in text
    assert "A-01-01-1" in text


def long_bins(count: int) -> list[BinLabel]:
    """Bins of a 5-character warehouse code: barcodes of 14 to 18 characters (e.g. HZ-01-A01-01-1)."""
    suffixes = ["", "A", "AB", "A-1", "AB-1"]
    return [
        BinLabel(code=f"A{n // 4 + 1:02d}-{n % 4 + 1:02d}-{n % 5 + 1}",
                 barcode=f"HZ-01-A{n // 4 + 1:02d}-{n % 4 + 1:02d}-{n % 5 + 1}{suffixes[n % 5]}",
                 warehouse="HZ-01", zone="A", aisle=f"{n // 4 + 1:02d}", level=n % 5 + 1, arrow="up")
        for n in range(count)
    ]


@needs_pdftoppm
def test_an_a4_sheet_of_14_to_18_character_bin_codes_scans_with_pdfium_and_poppler(tmp_path):
    from tests.label_scans import decode, rasterisers
    from wms.barcodes import code128_modules

    # given a sheet of bins whose barcodes are 14-18 characters long (too long beside the QR at 2 dots)
    bins = long_bins(24)
    assert {len(b.barcode) for b in bins} == {14, 15, 16, 17, 18}
    assert code128_modules("HZ-01-A01-01-1") * 2 * 25.4 / 203 > 50  # the old layout's room, hence 1-dot bars

    # when the A4 sheet is printed and rasterised at 203 dpi, 1-bit, by both renderers
    pdf = bin_label_sheet(bins, layout="sheet")
    for renderer, pages in rasterisers(pdf, tmp_path).items():
        # then every Code 128 and every QR on it decodes to its bin's barcode
        assert len(pages) == 1, renderer
        found = decode(pages[0])
        assert sorted(found.get("Code128", [])) == sorted(b.barcode for b in bins), renderer
        assert sorted(found.get("QRCode", [])) == sorted(b.barcode for b in bins), renderer


def test_long_bin_codes_keep_bars_of_at_least_two_dots_and_the_longest_are_stacked():
    from wms.documents import _bin_label

    # given bin codes of 14 to 18 characters / when their sheet labels are laid out
    labels = {b.barcode: _bin_label(b, "sheet") for b in long_bins(5)}

    # then no Code 128 has bars under 2 dots, and those too long for the room beside the QR go below, full width
    assert all(label["module_dots"] >= 2 for label in labels.values())
    assert not labels["HZ-01-A01-01-1"]["stacked"]
    assert labels["HZ-01-A02-01-5AB-1"]["stacked"]
