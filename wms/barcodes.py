"""The one barcode module of every printed thing: bin labels, waybills, packing slips, SSCC pallet labels, manifests.

Thermal printers burn whole dots, so a Code 128 module is always a whole number of dots, and never
fewer than two at 203 dpi (three at 300 dpi): one-dot bars blur into their neighbours and do not
decode. A code that does not fit its box at that width gets a layout that fits instead - the
encoder already packs digit runs in subset C (two digits a symbol), then the barcode turns 90° to use
the box's other side - and if even that fails the code is refused (:class:`BarcodeDoesNotFit`), never
squeezed to one dot. The same layout drives the SVG on a PDF and the ``^BY``/``^BC`` of a ZPL label.

GS1-128 (the SSCC label) is Code 128 with FNC1 as its first symbol and after every variable-length
element that is not the last; python-barcode's ``Gs1_128`` encodes FNC1 as symbol 102 in every subset.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

import qrcode
import qrcode.image.svg
from barcode.codex import Code128, Gs1_128

from erp_core.errors import ValidationFailed

FNC1 = Gs1_128.FNC1_CHAR  # put it between a variable-length GS1 element and the next one
QUIET_MODULES = 10  # the Code 128 minimum quiet zone each side
QR_BORDER_MODULES = 4  # the QR spec quiet zone
MIN_MODULE_DOTS = {203: 2, 300: 3}  # 0.25 mm: the narrowest bar that scans reliably off a thermal head
DEFAULT_WIDEST_DOTS = 4
# Bars are drawn this much narrower (in dots, half each side) than their modules: the usual bar width
# reduction against a thermal head's dot gain, and what keeps a renderer that fills every touched pixel
# (pdfium fills axis-aligned rectangles outward) from widening every bar by a dot.
BAR_REDUCTION_DOTS = 0.3


class BarcodeDoesNotFit(ValidationFailed):
    """Not even the narrowest allowed bars, turned either way, fit the box: the label needs more room."""

    code = "barcode_does_not_fit"

    def __init__(self, *, data: str, width_mm: float, height_mm: float) -> None:
        super().__init__(f"barcode {data!r} does not fit {width_mm:g} x {height_mm:g} mm",
                         data=data, width_mm=f"{width_mm:g}", height_mm=f"{height_mm:g}")


def dot_mm(dpi: int) -> float:
    """One printer dot in millimetres."""
    return 25.4 / dpi


def snap_mm(mm: float, dpi: int = 203) -> float:
    """``mm`` rounded to whole printer dots: barcodes are placed on the dot grid, not between two dots."""
    return round(mm / dot_mm(dpi)) * dot_mm(dpi)


def min_module_dots(dpi: int) -> int:
    if dpi not in MIN_MODULE_DOTS:
        raise ValueError(f"printers here are 203 or 300 dpi, not {dpi}")
    return MIN_MODULE_DOTS[dpi]


@lru_cache(maxsize=4096)
def code128_codewords(data: str, gs1: bool = False) -> tuple[int, ...]:
    """The symbol values of ``data`` from the start code on, without check symbol and stop.

    python-barcode picks the subsets: it starts in C, switches to C for a run of four or more digits
    and back to B for letters, which is what keeps long tracking numbers short.
    """
    code = Gs1_128(data) if gs1 else Code128(data)
    return tuple(code._build())  # noqa: SLF001 (the codewords are what ZPL needs; build() only gives bars)


@lru_cache(maxsize=4096)
def code128_bars(data: str, gs1: bool = False) -> str:
    """The bar pattern, one character a module ('1' bar, '0' space), start to stop, without quiet zones."""
    return (Gs1_128(data) if gs1 else Code128(data)).build()[0]


def code128_modules(data: str, gs1: bool = False) -> int:
    """Modules of the whole symbol including both quiet zones."""
    return len(code128_bars(data, gs1)) + 2 * QUIET_MODULES


@dataclass(frozen=True)
class BarcodeLayout:
    """A Code 128 placed in its box: whole-dot modules, bar height in dots, upright or turned 90°."""

    data: str
    gs1: bool
    dpi: int
    module_dots: int
    bar_dots: int
    rotated: bool = False

    @property
    def modules(self) -> int:
        return code128_modules(self.data, self.gs1)

    @property
    def length_dots(self) -> int:
        """Dots along the code, quiet zones included."""
        return self.modules * self.module_dots

    @property
    def width_mm(self) -> float:
        """The width the code takes on the label (across the bars when upright, along them when turned)."""
        return (self.bar_dots if self.rotated else self.length_dots) * dot_mm(self.dpi)

    @property
    def height_mm(self) -> float:
        return (self.length_dots if self.rotated else self.bar_dots) * dot_mm(self.dpi)

    def svg(self) -> str:
        """The code as an SVG data URI of exactly ``width_mm`` x ``height_mm``."""
        return code128_svg(self.data, module_dots=self.module_dots, height_dots=self.bar_dots, dpi=self.dpi,
                           rotated=self.rotated, gs1=self.gs1)


def fit_code128(data: str, *, width_mm: float, height_mm: float, dpi: int = 203, bar_mm: float | None = None,
                widest_dots: int = DEFAULT_WIDEST_DOTS, gs1: bool = False, rotate: bool = True) -> BarcodeLayout:
    """The widest whole-dot layout of ``data`` that fits a ``width_mm`` x ``height_mm`` box.

    Upright first (module from ``widest_dots`` down to the printer's minimum), then turned 90° when
    ``rotate``; the bars are ``bar_mm`` tall (default: the whole box) but never taller than the box.
    Raises :class:`BarcodeDoesNotFit` rather than going below the minimum module.
    """
    dot = dot_mm(dpi)
    least = min_module_dots(dpi)
    modules = code128_modules(data, gs1)
    sides = [(width_mm, height_mm, False)] + ([(height_mm, width_mm, True)] if rotate else [])
    for along, across, rotated in sides:
        for dots in range(max(widest_dots, least), least - 1, -1):
            if modules * dots * dot <= along + 1e-9:
                bar = min(bar_mm if bar_mm is not None else across, across)
                return BarcodeLayout(data, gs1, dpi, dots, max(int(bar / dot + 1e-9), 1), rotated)
    raise BarcodeDoesNotFit(data=data, width_mm=width_mm, height_mm=height_mm)


def text_mm(text: str, *, width_mm: float, largest_mm: float, smallest_mm: float = 1.6) -> float:
    """A font size (mm) at which ``text`` fits ``width_mm``: a long code gets smaller human-readable text.

    0.62 em is about the advance of a Noto Sans capital or digit, a little generous for safety.
    """
    if not text:
        return largest_mm
    return round(max(smallest_mm, min(largest_mm, width_mm / (0.62 * len(text)))), 2)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _mm(value: float) -> str:
    # Four decimals keeps the rounding error far below a dot even over hundreds of modules.
    return f"{value:.4f}mm"


def code128_svg(data: str, *, module_dots: int = 2, height_dots: int = 100, dpi: int = 203,
                rotated: bool = False, gs1: bool = False) -> str:
    """Code 128 of ``data`` as an SVG data URI: ``module_dots`` dots a module, ``height_dots`` tall, no text.

    Drawn in module units (the viewBox) with the outer size in mm from whole dots, so the image lands
    on the dot grid. Refuses modules below the printer's minimum: go through :func:`fit_code128`.
    """
    if module_dots < min_module_dots(dpi):
        raise ValueError(f"{module_dots}-dot modules do not scan at {dpi} dpi")
    bars = code128_bars(data, gs1)
    length = len(bars) + 2 * QUIET_MODULES
    height = height_dots / module_dots  # bar height in modules
    # One path of every bar (not a rect each): a renderer draws one shape per code instead of dozens.
    bars_d = []
    x = 0
    trim = BAR_REDUCTION_DOTS / module_dots  # in modules
    for run in _runs(bars):
        if run[0] == "1":
            pos, size = f"{QUIET_MODULES + x + trim / 2:.4f}", f"{len(run) - trim:.4f}"
            bars_d.append(f"M0 {pos}h{height:g}v{size}h-{height:g}z" if rotated
                          else f"M{pos} 0h{size}v{height:g}h-{size}z")
        x += len(run)
    dot = dot_mm(dpi)
    long_mm, short_mm = _mm(length * module_dots * dot), _mm(height_dots * dot)
    w, h, vb = (short_mm, long_mm, f"0 0 {height:g} {length}") if rotated else (long_mm, short_mm,
                                                                              f"0 0 {length} {height:g}")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="{vb}" '
           f'preserveAspectRatio="none" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>'
           f'<path fill="#000" d="{"".join(bars_d)}"/></svg>')
    return _data_uri(svg)


def _runs(bars: str) -> list[str]:
    out: list[str] = []
    for ch in bars:
        if out and out[-1][0] == ch:
            out[-1] += ch
        else:
            out.append(ch)
    return out


def qr_svg(data: str, *, box_dots: int = 4, dpi: int = 203) -> str:
    """QR code of ``data`` as an SVG data URI, ``box_dots`` printer dots a module, 4-module border."""
    if box_dots < min_module_dots(dpi):
        raise ValueError(f"{box_dots}-dot QR modules do not scan at {dpi} dpi")
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,  # qrcode's SVG unit: 10 = 1 mm a module, so path coordinates count modules in mm
        border=QR_BORDER_MODULES,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    buffer = BytesIO()
    qr.make_image().save(buffer)
    side = _mm((qr.modules_count + 2 * QR_BORDER_MODULES) * box_dots * dot_mm(dpi))
    # Keep qrcode's viewBox (in modules) and replace the outer size with whole dots per module.
    svg = re.sub(r'width="[\d.]+mm" height="[\d.]+mm"', f'width="{side}" height="{side}"',
                 buffer.getvalue().decode("utf-8"), count=1)
    return _data_uri(svg)


def qr_modules(data: str) -> int:
    """Modules across the QR symbol of ``data`` including its border (to plan its box)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER_MODULES)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.modules_count + 2 * QR_BORDER_MODULES


# --- ZPL -------------------------------------------------------------------------------------------

# Symbol values that change subset, per current subset (in B, 100 is FNC4, never a switch).
_SWITCHES = {"A": {99: "C", 100: "B"}, "B": {99: "C", 101: "A"}, "C": {100: "B", 101: "A"}}
_ZPL_SWITCH = {"C": ">5", "B": ">6", "A": ">7"}
_ZPL_START = {103: ("A", ">9"), 104: ("B", ">:"), 105: ("C", ">;")}


def zpl_field_data(data: str, gs1: bool = False) -> str:
    """``^BC`` field data (mode N) that makes the printer draw exactly our codewords.

    Mode N reads invocation codes: ``>;`` start C, ``>8`` FNC1, ``>5``/``>6`` switch to C/B, ``>0`` a
    literal '>'. Sending our own subsets keeps the printed width equal to the width we fitted.
    """
    words = code128_codewords(data, gs1)
    subset, start = _ZPL_START[words[0]]
    out = [start]
    for word in words[1:]:
        if word == 102:
            out.append(">8")
        elif word in _SWITCHES[subset]:
            subset = _SWITCHES[subset][word]
            out.append(_ZPL_SWITCH[subset])
        elif subset == "C":
            out.append(f"{word:02d}")
        elif subset == "B":
            ch = chr(word + 32)
            out.append(">0" if ch == ">" else ch)
        else:
            raise ValueError("subset A (control characters) is not printed on our labels")
    return "".join(out)


def zpl_decode_field_data(field: str) -> str:
    """The text a mode-N ``^BC`` field encodes (FNC1 as :data:`FNC1`, leading one dropped): for tests and checks."""
    out: list[str] = []
    subset = ""
    i = 0
    while i < len(field):
        if field[i] == ">" and i + 1 < len(field):
            op = field[i + 1]
            i += 2
            if op in "9:;":
                subset = {"9": "A", ":": "B", ";": "C"}[op]
            elif op in "567":
                subset = {"5": "C", "6": "B", "7": "A"}[op]
            elif op == "8":
                out.append(FNC1)
            elif op == "0":
                out.append(">")
            continue
        if subset == "C":
            out.append(field[i : i + 2])
            i += 2
        else:
            out.append(field[i])
            i += 1
    text = "".join(out)
    return text[1:] if text.startswith(FNC1) else text


def zpl_code128(layout: BarcodeLayout, x_dots: int, y_dots: int) -> str:
    """ZPL of a fitted Code 128 at (x, y) dots (its box's top-left corner): ``^BY`` module, ``^BC`` mode N.

    The quiet zone is not printed by the printer, so the code starts ``QUIET_MODULES`` in.
    """
    quiet = QUIET_MODULES * layout.module_dots
    orientation = "R" if layout.rotated else "N"
    # Turned 90° clockwise, the symbol's left edge sits at x + bar height.
    fx, fy = (x_dots, y_dots + quiet) if layout.rotated else (x_dots + quiet, y_dots)
    return (f"^FO{fx},{fy}^BY{layout.module_dots},3,{layout.bar_dots}"
            f"^BC{orientation},{layout.bar_dots},N,N,N,N^FD{zpl_field_data(layout.data, layout.gs1)}^FS")
