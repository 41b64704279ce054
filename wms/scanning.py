"""What every handheld scan flow shares: refusals that say what was expected, and matching a bin."""

from __future__ import annotations

from erp_core.errors import DomainError
from erp_core.inventory.models import Location


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


def bin_matches(location: Location, code: str) -> bool:
    """True when the scanned or typed code is the bin's barcode or its code (any case)."""
    code = code.strip()
    return bool(code) and (code == location.barcode or code.upper() == location.code.upper())
