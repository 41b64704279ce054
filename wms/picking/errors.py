"""What can go wrong at a pick, in the picker's words; each says what was expected."""

from __future__ import annotations

from erp_core.errors import Conflict
from wms.scanning import ScanRefused, WrongBinScanned, WrongItemScanned

__all__ = ["BinEmpty", "ScanRefused", "TaskNotYours", "TooManyPicked", "WrongBinScanned", "WrongItemScanned",
           "bin_empty", "too_many", "wrong_slot"]


class TooManyPicked(ScanRefused):
    pass


class BinEmpty(ScanRefused):
    pass


class TaskNotYours(Conflict):
    code = "task_not_yours"


def too_many(remaining: int) -> TooManyPicked:
    return TooManyPicked(f"Too many: only {remaining} left to pick here.", code="too_many", expected=str(remaining))


def bin_empty() -> BinEmpty:
    return BinEmpty("Already picked by someone else: the bin is empty for this task.", code="bin_empty")


def wrong_slot(scanned: str, slot: int) -> ScanRefused:
    """A tote slot (cluster cart) or a put-wall slot other than the order's."""
    return ScanRefused(f"Wrong slot {scanned}: put it into slot {slot}.", code="wrong_slot", expected=str(slot),
                       scanned=scanned)
