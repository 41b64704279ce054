"""What can go wrong at a pick, in the picker's words; each says what was expected."""

from __future__ import annotations

from erp_core.errors import Conflict
from wms.scanning import ScanRefused, WrongBinScanned, WrongItemScanned

__all__ = ["BinEmpty", "ScanRefused", "TaskNotYours", "TooManyPicked", "WrongBinScanned", "WrongItemScanned"]


class TooManyPicked(ScanRefused):
    pass


class BinEmpty(ScanRefused):
    pass


class TaskNotYours(Conflict):
    code = "task_not_yours"
