"""Printing a PDF as a 203-dpi thermal printer would and scanning it back: rasterise with pdfium
(pypdfium2, Chromium's renderer) or poppler (``pdftoppm -mono``), make it 1-bit, decode with zxing-cpp.

    for page in rasterise_both(pdf, tmp_path): texts = decode(page)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="pdftoppm missing: install Debian poppler-utils (scripts/system-deps.sh)")


def one_bit(image: Image.Image) -> Image.Image:
    """A thermal head burns a dot or not: threshold at 50 % grey, no dithering."""
    return image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def pdfium_pages(pdf: bytes, dpi: int = 203) -> list[Image.Image]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [one_bit(page.render(scale=dpi / 72).to_pil()) for page in document]
    finally:
        document.close()


def poppler_pages(pdf: bytes, tmp_path: Path, dpi: int = 203) -> list[Image.Image]:
    folder = tmp_path / f"poppler-{dpi}"
    folder.mkdir(exist_ok=True)
    source = folder / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-mono", str(source), str(folder / "page")], check=True)
    return [one_bit(Image.open(p)) for p in sorted(folder.glob("page-*.pbm"))]


def rasterisers(pdf: bytes, tmp_path: Path, dpi: int = 203) -> dict[str, list[Image.Image]]:
    """The document's pages by renderer: {"pdfium": [...], "poppler": [...]}."""
    return {"pdfium": pdfium_pages(pdf, dpi), "poppler": poppler_pages(pdf, tmp_path, dpi)}


def decode(image: Image.Image, *, hri: bool = False) -> dict[str, list[str]]:
    """Texts decoded from one page, by symbology: GS1 as "(00)...(420)..." with ``hri``, else plain (FNC1
    separators as ASCII 29) and named "GS1-128" when the symbol starts with FNC1 (identifier ]C1)."""
    found: dict[str, list[str]] = {}
    mode = zxingcpp.TextMode.HRI if hri else zxingcpp.TextMode.Plain
    for result in zxingcpp.read_barcodes(image.convert("L"), text_mode=mode):
        name = "GS1-128" if result.symbology_identifier == "]C1" and not hri else result.format.name
        found.setdefault(name, []).append(result.text)
    return found
