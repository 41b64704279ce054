"""Printable documents: Jinja2 HTML/CSS templates rendered to PDF by WeasyPrint, and the barcodes on them.

Barcodes are SVG sized in whole printer dots at 203 dpi (the common thermal-printer resolution), so a
module is always a whole number of dots and scanners see crisp, even bars. Templates live in
``label_templates/``; WeasyPrint may only load data: URIs and files from ``static/`` and
``label_templates/`` (see :class:`StaticOnlyURLFetcher`), so a template fed with user data can never
make the server fetch a remote URL or read an arbitrary file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import barcodes

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "label_templates"
STATIC_DIR = PROJECT_ROOT / "static"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"

T = TypeVar("T")

PRINTER_DPI = 203
DOT_MM = 25.4 / PRINTER_DPI  # one printer dot in millimetres

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
        self.refused: list[str] = []  # what a document asked for and did not get (the editor shows it)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Fetch ``url`` if it is a data: URI or a file inside an allowed folder; raise otherwise."""
        try:
            self._check(url)
        except ForbiddenResource:
            self.refused.append(url)
            raise
        return super().fetch(url, headers)

    def _check(self, url: str) -> None:
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


#: Set by ``pdf_in_parts``: html_to_pdf lays each part out into this list instead of writing it.
_parts: ContextVar[list | None] = ContextVar("document_parts", default=None)


def html_to_pdf(html: str, *, url_fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """WeasyPrint ``html`` to PDF with the static-only fetcher (relative URLs resolve in label_templates/)."""
    fetcher = url_fetcher if url_fetcher is not None else StaticOnlyURLFetcher()
    document = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=fetcher)
    parts = _parts.get()
    if parts is not None:
        parts.append(document.render())
        return b""
    return document.write_pdf()


def pdf_in_parts(items: Sequence[T], render: Callable[[Sequence[T]], object], *, per_part: int,
                 on_part: Callable[[int], None] | None = None) -> bytes:
    """ONE PDF of ``items``, laid out ``per_part`` at a time: ``render(chunk)`` is any of the document
    functions here (they end in ``html_to_pdf``), ``on_part(items laid out so far)`` reports progress
    between parts (a background job's progress bar); the parts' pages are joined in order at the end.
    A document of a few thousand labels costs the same as in one go, and its progress can be told."""
    documents: list = []
    token = _parts.set(documents)
    try:
        for start in range(0, len(items), per_part):
            render(items[start:start + per_part])
            if on_part is not None:
                on_part(min(start + per_part, len(items)))
    finally:
        _parts.reset(token)
    if not documents:
        raise ValueError("no items to print")
    return documents[0].copy([page for document in documents for page in document.pages]).write_pdf()


def render_pdf(template_name: str, context: dict, *, lang: str = "en") -> bytes:
    """Render ``label_templates/<template_name>`` with ``context`` (plus ``_()`` in ``lang`` and ``lang``) to PDF bytes.

    Many labels go in one template, hence one document: WeasyPrint's start-up and font loading cost
    far more than each extra page.
    """
    return html_to_pdf(_environment(lang).get_template(template_name).render(**context, lang=lang))


def code128_svg(data: str, *, module_dots: int = 2, height_dots: int = 100) -> str:
    """Code 128 of ``data`` as an SVG data URI at 203 dpi (kept for callers; see :mod:`wms.barcodes`)."""
    return barcodes.code128_svg(data, module_dots=module_dots, height_dots=height_dots, dpi=PRINTER_DPI)


def qr_svg(data: str, *, box_dots: int = 4) -> str:
    """QR code of ``data`` as an SVG data URI at 203 dpi (kept for callers; see :mod:`wms.barcodes`)."""
    return barcodes.qr_svg(data, box_dots=box_dots, dpi=PRINTER_DPI)


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


# Per layout: inner label size (mm), widest Code 128 module, bar height and QR module (dots), largest code text (mm).
_BIN_GEOMETRY = {"sheet": (65.0, 33.0, 3, 72, 3, 6.5), "thermal": (94.0, 43.5, 3, 120, 5, 10.0)}
_GAP_MM = 1.5


def _bin_label(b: BinLabel, layout: Layout) -> dict:
    """One bin label's barcodes, laid out to fit: Code 128 beside the QR if it fits there at >= 2-dot bars,
    else the Code 128 takes the whole width below and the QR moves up beside the code text."""
    width, _, widest, bar_dots, box_dots, largest = _BIN_GEOMETRY[layout]
    qr_mm = barcodes.qr_modules(b.barcode) * box_dots * DOT_MM
    bar_mm = bar_dots * DOT_MM
    stacked = False
    try:
        code = barcodes.fit_code128(b.barcode, width_mm=width - qr_mm - _GAP_MM, height_mm=bar_mm,
                                    widest_dots=widest, rotate=False)
    except barcodes.BarcodeDoesNotFit:
        stacked = True
        code = barcodes.fit_code128(b.barcode, width_mm=width, height_mm=bar_mm, widest_dots=widest, rotate=False)
    head_mm = width - (qr_mm + _GAP_MM if stacked else 12.0)  # the caption takes ~12 mm when the QR is below
    return {"bin": b, "code128": code.svg(), "qr": barcodes.qr_svg(b.barcode, box_dots=box_dots),
            "stacked": stacked,
            "module_dots": code.module_dots, "code_mm": barcodes.text_mm(b.code, width_mm=head_mm, largest_mm=largest)}


def bin_label_sheet(bins: Sequence[BinLabel], *, lang: str = "en", layout: Layout = "sheet") -> bytes:
    """PDF of bin labels: ``sheet`` = A4 pages of 3 x 8 labels (70 x 37 mm), ``thermal`` = 100 x 50 mm each.

    The thermal label has room for wider modules, which scan from further away on a high shelf. Bars
    are never narrower than 2 dots at 203 dpi: a long bin code is stacked below instead (see _bin_label).
    """
    if layout not in ("sheet", "thermal"):
        raise ValueError(f"unknown label layout: {layout!r}")
    labels = [_bin_label(b, layout) for b in bins]
    per_page = LABELS_PER_SHEET if layout == "sheet" else 1
    pages = [labels[i : i + per_page] for i in range(0, len(labels), per_page)]
    return render_pdf("bin_labels.html", {"pages": pages, "layout": layout}, lang=lang)
