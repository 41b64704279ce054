"""ZPL for thermal label printers, at 203 or 300 dpi, from the ZPL templates in label_templates/zpl/
(not from the PDF: a printer draws its own barcodes and fonts far crisper and faster than a raster).

A template places blocks in millimetres through a :class:`ZplCanvas`: ``text`` (ASCII in the printer's
scalable font 0, anything else - Chinese - as a 1-bit graphic field ``^GFA`` rendered with Pillow and
the CJK font, Z64-compressed), ``barcode`` (``^BY``/``^BC`` from the same fitted layout as the
PDF, so the same whole-dot modules), ``rule`` (``^GB``). User data reaches ZPL only through these, so
a ``^`` or ``~`` in an address cannot start a printer command.
"""

from __future__ import annotations

import base64
import binascii
import math
import subprocess
import zlib
from collections.abc import Sequence
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from PIL import Image, ImageDraw, ImageFont

from wms import barcodes
from wms.documents import TEMPLATES_DIR

from .label_data import WaybillData
from .labels import FORMATS, SSCC_FORMAT, LabelFormat, Placed, slip_layout, sscc_layout, waybill_layout
from .sscc import PalletLabel

ZPL_DIR = TEMPLATES_DIR / "zpl"
FONT_FALLBACKS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_PLAIN = frozenset(chr(c) for c in range(32, 127)) - {"^", "~", "\\"}


@lru_cache(maxsize=4)
def cjk_font_path(bold: bool = False) -> str:
    """The CJK font file fontconfig chooses (Noto Sans CJK SC from Debian fonts-noto-cjk), else a known path."""
    try:
        done = subprocess.run(["fc-match", "-f", "%{file}", f"Noto Sans CJK SC:{'bold' if bold else 'regular'}"],  # noqa: S603, S607 (fixed arguments)
                              capture_output=True, text=True, timeout=10, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return FONT_FALLBACKS[0]


@lru_cache(maxsize=64)
def _font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    path = cjk_font_path(bold)
    index = 2 if path.endswith(".ttc") and "Noto" in path else 0  # the SC face in Noto's collection
    return ImageFont.truetype(path, size_px, index=index)


def z64(raw: bytes) -> str:
    """A ``^GF`` payload in Zebra's Z64 form: zlib-deflated, base64, then the CRC-16 (XMODEM) of the base64 text."""
    text = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return f":Z64:{text}:{binascii.crc_hqx(text.encode('ascii'), 0):04X}"


@lru_cache(maxsize=16384)
def _glyph(ch: str, size_px: int, bold: bool) -> tuple[Image.Image, float]:
    """One character drawn 1-bit once, and its advance: labels reuse a small alphabet, so text is composed
    from cached glyphs instead of asking FreeType again for every address (the slow part of a label)."""
    font = _font(size_px, bold)
    advance = font.getlength(ch)
    image = Image.new("1", (math.ceil(advance) + 2, _line_px(size_px)), 0)
    ImageDraw.Draw(image).text((0, 0), ch, font=font, fill=1)
    return image, advance


def _line_px(size_px: int) -> int:
    return int(size_px * 1.25)


@lru_cache(maxsize=2048)
def text_graphic(text: str, size_px: int, bold: bool, width_px: int, lines: int) -> tuple[int, int, str]:
    """(bytes a row, rows, Z64 data) of ``text`` drawn 1-bit (a set bit is a burnt dot), wrapped to
    ``width_px`` in at most ``lines`` lines."""
    wrapped = _wrap(text, size_px, bold, width_px, lines)
    line_px = _line_px(size_px)
    width = min(width_px, int(max(sum(_glyph(ch, size_px, bold)[1] for ch in line) for line in wrapped)) + 2)
    row_bytes = (width + 7) // 8
    image = Image.new("1", (row_bytes * 8, line_px * len(wrapped)), 0)
    for n, line in enumerate(wrapped):
        x = 0.0
        for ch in line:
            glyph, advance = _glyph(ch, size_px, bold)
            if ch != " ":
                image.paste(1, (round(x), n * line_px), mask=glyph)
            x += advance
    return row_bytes, image.height, z64(image.tobytes())


def _wrap(text: str, size_px: int, bold: bool, width_px: int, lines: int) -> list[str]:
    """Greedy wrap by character (Chinese has no spaces to break at); an ellipsis ends a cut text."""
    out: list[str] = []
    current, used = "", 0.0
    for ch in text:
        step = _glyph(ch, size_px, bold)[1]
        if used + step > width_px:
            out.append(current)
            if len(out) == lines:
                break
            current, used = ("", 0.0) if ch == " " else (ch, step)
        else:
            current, used = current + ch, used + step
    else:
        out.append(current)
        return out
    last = out[-1]
    ellipsis = _glyph("…", size_px, bold)[1]
    while last and sum(_glyph(ch, size_px, bold)[1] for ch in last) + ellipsis > width_px:
        last = last[:-1]
    out[-1] = last + "…"
    return out


class ZplCanvas:
    """Millimetre placement helpers for one label at ``dpi``; each returns ZPL text for the template."""

    def __init__(self, dpi: int) -> None:
        barcodes.min_module_dots(dpi)  # 203 or 300 only
        self.dpi = dpi

    def d(self, mm: float) -> int:
        """Millimetres in whole printer dots."""
        return round(mm * self.dpi / 25.4)

    def start(self, width_mm: float, height_mm: float) -> str:
        return f"^XA^CI28^PW{self.d(width_mm)}^LL{self.d(height_mm)}^LH0,0"

    def text(self, x_mm: float, y_mm: float, value: object, size_mm: float, *, width_mm: float,
             bold: bool = False, lines: int = 1) -> str:
        value = " ".join(str(value).split())
        if not value:
            return ""
        x, y, h, w = self.d(x_mm), self.d(y_mm), self.d(size_mm), self.d(width_mm)
        if set(value) <= _PLAIN:
            # Font 0 is about 0.55 em wide a character; ^FB wraps and clips to the block.
            wide = h + (h // 8 if bold else 0)
            return f"^FO{x},{y}^A0N,{h},{wide}^FB{w},{lines},0,L^FD{value}^FS"
        row_bytes, rows, data = text_graphic(value, h, bold, w, lines)
        total = row_bytes * rows
        return f"^FO{x},{y}^GFA,{total},{total},{row_bytes},{data}^FS"

    def barcode(self, placed: Placed | None, x_mm: float, y_mm: float) -> str:
        if placed is None:
            return ""
        return barcodes.zpl_code128(placed.layout, self.d(x_mm), self.d(y_mm))

    def rule(self, x_mm: float, y_mm: float, width_mm: float, thickness_mm: float = 0.4) -> str:
        t = max(self.d(thickness_mm), 1)
        return f"^FO{self.d(x_mm)},{self.d(y_mm)}^GB{self.d(width_mm)},{t},{t}^FS"


@lru_cache(maxsize=4)
def _environment() -> Environment:
    # The ZPL templates are our files, not admin-editable, so no sandbox (it would double the cost of a label).
    # ZPL is not HTML: no autoescape; data reaches the output only through ZplCanvas, which filters it.
    return Environment(loader=FileSystemLoader(ZPL_DIR), autoescape=False, undefined=StrictUndefined,  # noqa: S701
                       trim_blocks=True, lstrip_blocks=True)


def _render(template: str, **context: object) -> str:
    lines = _environment().get_template(template).render(**context).splitlines()
    return "\n".join(line.strip() for line in lines if line.strip()) + "\n"


def waybill_zpl(labels: Sequence[WaybillData], *, dpi: int = 203, label_format: str | None = None) -> str:
    """One ``^XA...^XZ`` label per parcel, in the given order, at ``dpi``."""
    z = ZplCanvas(dpi)
    out = []
    for data in labels:
        fmt: LabelFormat = FORMATS[label_format or data.label_format]
        out.append(_render("waybill.zpl", z=z, d=data, f=fmt, **waybill_layout(data, fmt, dpi)))
    return "".join(out)


def packing_slip_zpl(labels: Sequence[WaybillData], *, dpi: int = 203) -> str:
    """Packing slips on 100x150 mm thermal stock (the A4 slip is for sheet printers only)."""
    z = ZplCanvas(dpi)
    return "".join(_render("packing_slip.zpl", z=z, d=data, **slip_layout(data, "100x150", dpi)) for data in labels)


def sscc_zpl(labels: Sequence[PalletLabel], *, dpi: int = 203) -> str:
    z = ZplCanvas(dpi)
    return "".join(_render("sscc.zpl", z=z, p=label, **sscc_layout(label, dpi)) for label in labels)


__all__ = ["SSCC_FORMAT", "ZplCanvas", "packing_slip_zpl", "sscc_zpl", "waybill_zpl"]
