"""What can go wrong at a pick, in the picker's words; each says what was expected."""

from __future__ import annotations

from erp_core.errors import Conflict
from wms.scanning import ScanRefused, WrongBinScanned, WrongItemScanned

__all__ = ["BinEmpty", "ScanRefused", "TaskNotYours", "TooManyPicked", "WrongBinScanned", "WrongItemScanned",
           "bin_empty", "lot_scan_needed", "too_many", "wrong_lot", "wrong_slot"]


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


def wrong_lot(scanned: str, lot: str, expiry: str = "") -> ScanRefused:
    """Another lot than the task's, and not one the order may take instead (held, too short-dated for
    the order's shipping limit, not in this bin, or too few free units)."""
    when = f", expiring {expiry}" if expiry else ""
    return ScanRefused(f"Wrong lot {scanned}: pick lot {lot}{when}.", code="wrong_lot", expected=lot, scanned=scanned,
                       expiry=expiry)


def lot_scan_needed(lot: str, sku: str) -> ScanRefused:
    """A plain barcode where the bin holds several lots of the SKU: which lot was taken is unknown."""
    return ScanRefused(f"This bin holds several lots of {sku}: scan the GS1 label of the lot or type lot {lot}.",
                       code="lot_scan_needed", expected=lot, sku=sku)
