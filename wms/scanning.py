"""What every handheld scan flow shares: refusals that say what was expected, and matching a bin.

Pure (neither Flask nor the database), so the step functions of the scan flows can use it. Each
refusal carries a stable code and its details; `erp_core.messages.describe` turns it into the
sentence the picker reads, and the error's own message is that sentence in English (what is shown
while the code has no registered translation). The details a refusal gives: `scanned` (what was
scanned or typed) and `expected` (what the task wanted), plus what its sentence names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from erp_core.errors import DomainError, ValidationFailed

MAX_TYPED_QUANTITY_DIGITS = 5


class ScanRefused(DomainError):
    """A scan that does not fit the task: nothing changes and the handheld plays the error sound."""

    status = 409

    def __init__(self, message: str, *, code: str, expected: str = "", **details):
        super().__init__(message, code=code, expected=expected, **details)
        self.expected = expected


class WrongBinScanned(ScanRefused):
    pass


class WrongItemScanned(ScanRefused):
    pass


class Labelled(Protocol):
    """Anything with a code and a barcode: a bin (Location) or its label as a step function sees it."""

    code: str
    barcode: str | None


@dataclass(frozen=True)
class BinLabel:
    """A bin as a scan sees it: its code (A01-02-1) and the barcode on its label (SH1-A01-02-1)."""

    code: str
    barcode: str | None = None


def bin_matches(location: Labelled, code: str) -> bool:
    """True when the scanned or typed code is the bin's barcode or its code (any case)."""
    code = code.strip()
    return bool(code) and (code == location.barcode or code.upper() == location.code.upper())


def is_typed_quantity(code: str) -> bool:
    """A typed quantity, not a barcode: digits only, at most five of them."""
    return code.isdigit() and len(code) <= MAX_TYPED_QUANTITY_DIGITS


# --- The refusals several flows share (one English sentence per code) ------------------------------

def wrong_bin(scanned: str, expected: str) -> WrongBinScanned:
    return WrongBinScanned(f"Wrong bin {scanned}: expected {expected}.", code="wrong_bin", expected=expected,
                           scanned=scanned)


def wrong_item(scanned: str, expected: str) -> WrongItemScanned:
    return WrongItemScanned(f"Wrong item {scanned}: expected {expected}.", code="wrong_item", expected=expected,
                            scanned=scanned)


def unknown_code(scanned: str) -> WrongItemScanned:
    return WrongItemScanned(f"Nothing is known by this code: {scanned or '–'}", code="unknown_item",
                            scanned=scanned or "–")


def bad_quantity(minimum: int, maximum: int) -> ValidationFailed:
    return ValidationFailed(f"The quantity must be a whole number from {minimum} to {maximum}.",
                            code="bad_quantity", minimum=minimum, maximum=maximum)
