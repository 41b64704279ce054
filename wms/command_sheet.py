"""The command sheet: one A4 page with each command barcode (CMD-DONE, ...), named in English and Chinese.

The barcodes are Code 128 on the 203-dpi dot grid (`wms.barcodes`), wide modules so a scanner reads
them from a sheet taped to the cart, and QR beside them for camera scanning.
"""

from __future__ import annotations

from flask_babel import force_locale

from . import barcodes
from .commands import SHEET_ORDER
from .documents import render_pdf

DPI = 203


def _both(text) -> dict[str, str]:
    """A lazy string in both languages of the sheet."""
    out = {}
    for locale in ("en", "zh"):
        with force_locale(locale):
            out[locale] = str(text)
    return out


def command_rows() -> list[dict]:
    from .handheld import COMMAND_HINTS, COMMAND_LABELS

    rows = []
    for command in SHEET_ORDER:
        code = barcodes.fit_code128(command.code, width_mm=100.0, height_mm=14.0, widest_dots=4, rotate=False)
        rows.append({"code": command.code, "code128": code.svg(), "qr": barcodes.qr_svg(command.code, box_dots=4),
                     "label": _both(COMMAND_LABELS[command]), "hint": _both(COMMAND_HINTS[command])})
    return rows


def command_sheet_pdf() -> bytes:
    """Needs an app (and request) context: the names come from the app's catalogue in both languages."""
    from flask_babel import lazy_gettext as _l

    title = _both(_l("Handheld command sheet"))
    note = _both(_l("Scan a code into any handheld scan field."))
    return render_pdf("command_sheet.html", {"rows": command_rows(), "title": title, "note": note})
