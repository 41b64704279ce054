"""Reading a weight as a scale in keyboard mode, a scanner or a person types it. Pure: no Flask, no database.

A USB/serial scale in keyboard mode "types" its reading and Enter into the focused field, in the
scale's own format: "1.234 kg", "1234 g", "ST,GS,+  0.550kg" (stable, gross), or a bare number.
A bare number with a decimal point is kilograms (how scales print kg), a bare whole number grams.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from erp_core.errors import ValidationFailed

MAX_WEIGHT_G = 1_000_000  # a tonne: anything heavier is a misread, not a parcel

_UNITS = {"kg": 1000, "kgs": 1000, "公斤": 1000, "千克": 1000, "g": 1, "gr": 1, "克": 1}
# The reading is the last number on the line with its unit, whatever status text the scale puts before it.
_READING = re.compile(r"(?<![\d.])([+-]?)\s*(\d+(?:[.,]\d+)?)\s*(kgs?|gr?|公斤|千克|克)?\s*$")


def bad_weight(value: str) -> ValidationFailed:
    return ValidationFailed(f"Not a weight: {value or '–'} (type 1.234 kg, 1234 g or put the parcel on the scale).",
                            code="bad_weight", value=value or "–")


def parse_weight(text: str) -> int:
    """Grams from what the scale or the packer typed; refused (`bad_weight`) when it is no weight."""
    raw = " ".join((text or "").split())
    found = _READING.search(raw.lower())
    if not raw or found is None or found.group(1) == "-":
        raise bad_weight(raw)
    number, unit = found.group(2).replace(",", "."), found.group(3)
    try:
        value = Decimal(number)
    except InvalidOperation as error:  # pragma: no cover (the pattern only lets numbers through)
        raise bad_weight(raw) from error
    factor = _UNITS[unit] if unit else (1000 if "." in number else 1)
    grams = int((value * factor).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if grams > MAX_WEIGHT_G:
        raise bad_weight(raw)
    return grams
