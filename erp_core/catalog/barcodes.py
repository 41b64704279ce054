"""Barcodes of SKUs: GS1 codes (EAN-8, UPC-A, EAN-13, GTIN-14) checked by their check digit, and
internal codes (anything else a scanner can send: printable ASCII, e.g. ``INT00102`` on a Code 128 label).

Rule: an all-digit code of 8, 12, 13 or 14 digits is a GS1 code and must carry a correct check digit;
a typo there would silently point a scan at nothing. All-digit codes of other lengths are internal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from erp_core.errors import ValidationFailed

GTIN8, UPCA, GTIN13, GTIN14, INTERNAL = "gtin8", "upca", "gtin13", "gtin14", "internal"
KIND_BY_LENGTH = {8: GTIN8, 12: UPCA, 13: GTIN13, 14: GTIN14}
KIND_LABELS = {GTIN8: "EAN-8", UPCA: "UPC-A", GTIN13: "EAN-13", GTIN14: "GTIN-14", INTERNAL: "internal code"}
MAX_LENGTH = 64
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+\d+")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


class InvalidBarcode(ValidationFailed, ValueError):
    """A code that cannot be a SKU barcode; ``reason`` says why in words a person can act on."""

    code = "invalid_barcode"

    def __init__(self, barcode: str, reason: str, **details) -> None:
        super().__init__(f"invalid barcode {barcode!r}: {reason}", barcode=barcode, reason=reason, **details)
        self.barcode = barcode
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Barcode:
    """A validated barcode: the code as given (trimmed), its kind, and its GTIN-14 form if GS1.

    ``in_store`` marks GS1 prefixes reserved for restricted circulation (EAN-13 ``20``-``29``,
    UPC-A ``2`` and ``4``): variable-weight or shop-internal numbers, unique only inside one company.
    """

    code: str
    kind: str
    gtin14: str | None = None
    in_store: bool = False

    @property
    def is_gs1(self) -> bool:
        """Whether this is a GS1 code (EAN/UPC/GTIN) rather than an internal one."""
        return self.kind != INTERNAL


def compute_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (the code without its last digit).

    From the right, digits are weighted 3, 1, 3, 1, ...; the check digit brings the sum to a
    multiple of ten. Works for every GS1 length (EAN-8 body of 7, UPC-A 11, EAN-13 12, GTIN-14 13).
    """
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f"check digit body must be digits only, got {body!r}")
    total = sum(int(digit) * (3 if position % 2 == 0 else 1)
                for position, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def ean13_check_digit(body12: str) -> int:
    """The check digit that completes a 12-digit EAN-13 body."""
    if len(body12) != 12:
        raise ValueError(f"an EAN-13 body has 12 digits, got {len(body12)}")
    return compute_check_digit(body12)


def parse_barcode(raw: str) -> Barcode:
    """Validate and classify a code. Raises ``InvalidBarcode`` with a clear reason."""
    code = raw.strip()
    if not code:
        raise InvalidBarcode(raw, "the code is empty")
    if len(code) > MAX_LENGTH:
        raise InvalidBarcode(code, f"the code is longer than {MAX_LENGTH} characters")
    if _SCIENTIFIC.fullmatch(code):
        raise InvalidBarcode(code, "this looks like a number Excel turned into scientific notation "
                                   "(e.g. 6.9E+12); format the column as text and enter the code again")
    if _PRINTABLE_ASCII.fullmatch(code) is None:
        raise InvalidBarcode(code, "the code contains spaces or characters a barcode scanner cannot send "
                                   "(only printable ASCII letters, digits and symbols are allowed)")
    kind = KIND_BY_LENGTH.get(len(code)) if code.isdigit() else None
    if kind is None:
        return Barcode(code, INTERNAL)
    expected = compute_check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise InvalidBarcode(code, f"wrong {KIND_LABELS[kind]} check digit: the last digit should be "
                                   f"{expected}, not {code[-1]} (mistyped or misread digit?)",
                             kind=KIND_LABELS[kind], check_digit=expected, last_digit=code[-1])
    return Barcode(code, kind, gtin14=code.zfill(14), in_store=_in_store(code, kind))


def classify_barcode(raw: str) -> str:
    """The kind of a valid code: ``gtin8``, ``upca``, ``gtin13``, ``gtin14`` or ``internal``.

    Raises ``InvalidBarcode`` when the code is not acceptable (see ``parse_barcode``).
    """
    return parse_barcode(raw).kind


def is_valid_barcode(raw: str) -> bool:
    """Whether ``raw`` is an acceptable SKU barcode (GS1 with a right check digit, or internal)."""
    try:
        parse_barcode(raw)
    except InvalidBarcode:
        return False
    return True


def to_gtin14(raw: str) -> str:
    """The 14-digit form of a GS1 code (left-padded with zeros), for matching across lengths.

    Raises ``InvalidBarcode`` for invalid or internal codes.
    """
    barcode = parse_barcode(raw)
    if barcode.gtin14 is None:
        raise InvalidBarcode(barcode.code, "an internal code has no GTIN-14 form")
    return barcode.gtin14


def _in_store(code: str, kind: str) -> bool:
    if kind == GTIN13:
        return code[0] == "2" or code[:2] in ("02", "04")
    if kind == UPCA:
        return code[0] in "24"
    return kind == GTIN8 and code[0] == "2"
