"""Printable documents: Jinja2 HTML/CSS templates rendered to PDF by WeasyPrint, and the barcodes on them.

Barcodes are SVG sized in whole printer dots at 203 dpi (the common thermal-printer resolution), so a
module is always a whole number of dots and scanners see crisp, even bars. Templates live in
``label_templates/``; WeasyPrint may only load data: URIs and files from ``static/`` and
``label_templates/`` (see :class:`StaticOnlyURLFetcher`), so a template fed with user data can never
make the server fetch a remote URL or read an arbitrary file.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

import barcode
import qrcode
import qrcode.image.svg
from babel.support import Translations
from barcode.writer import SVGWriter
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "label_templates"
STATIC_DIR = PROJECT_ROOT / "static"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"

PRINTER_DPI = 203
DOT_MM = 25.4 / PRINTER_DPI  # one printer dot in millimetres
CODE128_QUIET_MODULES = 10  # the Code 128 spec minimum; less and scanners miss the start bar
QR_BORDER_MODULES = 4  # the QR spec quiet zone

class ForbiddenResource(ValueError):
    """A template asked WeasyPrint for a resource outside the allowed folders or schemes."""


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that allows only data: URIs and files under the given folders.

    WeasyPrint 70 wants a ``URLFetcher`` subclass (it reads ``_fail_on_errors`` from it), so this is a
    class rather than a plain function. Refusals raise :class:`ForbiddenResource`; WeasyPrint logs a
    warning and skips the resource instead of failing the whole document.
    """

    def __init__(self, allowed_dirs: Sequence[Path] = (STATIC_DIR, TEMPLATES_DIR), **kwargs: object) -> None:
        # allowed_protocols is belt and braces: fetch() below already refuses everything else.
        super().__init__(allowed_protocols=("data", "file"), **kwargs)
        self.allowed_dirs = tuple(Path(d).resolve() for d in allowed_dirs)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Fetch ``url`` if it is a data: URI or a file inside an allowed folder; raise otherwise."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise ForbiddenResource(f"remote file URL refused: {url}")
            # resolve() follows symlinks and "..", so the containment check sees the real target.
            path = Path(url2pathname(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.allowed_dirs):
                raise ForbiddenResource(f"file outside static/ and label_templates/ refused: {url}")
        elif scheme != "data":
            raise ForbiddenResource(f"only data: and local static files are allowed: {url}")
        return super().fetch(url, headers)


@lru_cache(maxsize=8)
def _environment(lang: str) -> Environment:
    """One Jinja environment per language, with the app's Babel catalogue installed.

    Documents are rendered outside requests (CLI, background jobs) and in the document's language,
    not the user's, so they load the catalogue themselves instead of using Flask-Babel.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,  # a typo in a template fails loudly instead of printing an empty label
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(Translations.load(str(TRANSLATIONS_DIR), [lang]), newstyle=True)
    return env


def render_pdf(template_name: str, context: dict, *, lang: str = "en") -> bytes:
    """Render ``label_templates/<template_name>`` with ``context`` (plus ``_()`` in ``lang`` and ``lang``) to PDF bytes.

    Many labels go in one template, hence one document: WeasyPrint's start-up and font loading cost
    far more than each extra page.
    """
    html = _environment(lang).get_template(template_name).render(**context, lang=lang)
    document = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf()


def _svg_data_uri(svg: bytes | str) -> str:
    raw = svg.encode("utf-8") if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(raw).decode("ascii")


def _mm(value: float) -> str:
    # Four decimals keeps the rounding error far below a dot even over hundreds of modules.
    return f"{value:.4f}mm"


def code128_svg(data: str, *, module_dots: int = 2, height_dots: int = 100) -> str:
    """Code 128 of ``data`` as an SVG data URI, ``module_dots`` printer dots per module, no text.

    The writer rounds its millimetres to 0.001, which would drift off the dot grid across a long code.
    So it draws in modules (module_width=1), those become the viewBox, and only the outer size is in
    mm, computed from whole dots: the image then scales to exactly ``module_dots`` dots per module.
    """
    writer = SVGWriter()
    writer.with_doctype = False  # the DOCTYPE names an external DTD; nothing to fetch, nothing to refuse
    code = barcode.get("code128", data, writer=writer)
    height_modules = height_dots / module_dots
    options = {
        "module_width": 1,
        "module_height": height_modules,
        "quiet_zone": CODE128_QUIET_MODULES,
        "write_text": False,  # we print the human-readable code ourselves, bigger
        "margin_top": 0,
        "margin_bottom": 0,
    }
    svg = code.render(options).decode("utf-8")
    width_modules = len(code.build()[0]) + 2 * CODE128_QUIET_MODULES
    svg = re.sub(r'="(-?[\d.]+)mm"', r'="\1"', svg)  # inner units are modules, not mm
    svg = re.sub(
        r'width="[\d.]+" height="[\d.]+"',
        f'width="{_mm(width_modules * module_dots * DOT_MM)}" height="{_mm(height_dots * DOT_MM)}" '
        f'viewBox="0 0 {width_modules} {height_modules:g}" preserveAspectRatio="none"',
        svg,
        count=1,
    )
    return _svg_data_uri(svg)


def qr_svg(data: str, *, box_dots: int = 4) -> str:
    """QR code of ``data`` as an SVG data URI, ``box_dots`` printer dots per module, 4-module border."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,  # qrcode's SVG unit: 10 = 1 mm per module, so path coordinates count modules in mm
        border=QR_BORDER_MODULES,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    buffer = BytesIO()
    qr.make_image().save(buffer)
    side_mm = (qr.modules_count + 2 * QR_BORDER_MODULES) * box_dots * DOT_MM
    # Keep qrcode's viewBox (in modules) and replace the outer size with whole dots per module.
    svg = re.sub(
        r'width="[\d.]+mm" height="[\d.]+mm"',
        f'width="{_mm(side_mm)}" height="{_mm(side_mm)}"',
        buffer.getvalue().decode("utf-8"),
        count=1,
    )
    return _svg_data_uri(svg)


Arrow = Literal["up", "down"] | None
Layout = Literal["sheet", "thermal"]


@dataclass(frozen=True)
class BinLabel:
    """What one bin label prints: the bin's code, the scanned value, where it is and which way to look."""

    code: str
    barcode: str
    warehouse: str
    zone: str
    aisle: str
    level: int | None = None
    arrow: Arrow = None


# Sheet geometry: 3 x 8 labels of 70 x 37 mm fill an A4 page (210 x 297 mm) edge to edge.
SHEET_COLUMNS = 3
SHEET_ROWS = 8
LABELS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS


def _fit_module_dots(data: str, widest: int, room_mm: float) -> int:
    """Widest whole-dot module (at most ``widest``, at least 1) whose Code 128 fits in ``room_mm``.

    Wider modules scan from further away, but a long code must still fit the label rather than be
    clipped (a clipped Code 128 does not scan at all).
    """
    modules = len(barcode.get("code128", data).build()[0]) + 2 * CODE128_QUIET_MODULES
    for dots in range(widest, 1, -1):
        if modules * dots * DOT_MM <= room_mm:
            return dots
    return 1


def bin_label_sheet(bins: Sequence[BinLabel], *, lang: str = "en", layout: Layout = "sheet") -> bytes:
    """PDF of bin labels: ``sheet`` = A4 pages of 3 x 8 labels (70 x 37 mm), ``thermal`` = 100 x 50 mm each.

    The thermal label has room for wider modules, which scan from further away on a high shelf.
    """
    if layout not in ("sheet", "thermal"):
        raise ValueError(f"unknown label layout: {layout!r}")
    # (widest module, bar height, QR module) in dots and the room left of the QR for the Code 128, in mm.
    module_dots, height_dots, box_dots, room_mm = (3, 120, 5, 70.0) if layout == "thermal" else (2, 72, 3, 50.0)
    labels = [
        {
            "bin": b,
            "code128": code128_svg(
                b.barcode, module_dots=_fit_module_dots(b.barcode, module_dots, room_mm), height_dots=height_dots
            ),
            "qr": qr_svg(b.barcode, box_dots=box_dots),
        }
        for b in bins
    ]
    per_page = LABELS_PER_SHEET if layout == "sheet" else 1
    pages = [labels[i : i + per_page] for i in range(0, len(labels), per_page)]
    return render_pdf("bin_labels.html", {"pages": pages, "layout": layout}, lang=lang)
