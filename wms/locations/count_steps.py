"""A blind cycle count's scans (盘点): a bin; then its items (+1 each), a typed quantity of the last one,
or the bin again to finish it. An item of a lot-tracked SKU scanned without its lot (a plain barcode)
makes the next input its lot (a GS1 label, a chosen or a typed lot number), whatever it looks like.

Pure: plain data in, the next step or a refusal out; neither Flask nor the database. The view of the
count holds its bins and whether each is finished, never what the books expect (the counter must
not see it). The scan service (`wms.locations.scan_services`) does what the step says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from erp_core.errors import DomainError
from wms.scanning import BinLabel, ScanRefused, bin_matches, is_typed_quantity


@dataclass(frozen=True)
class CountState:
    """The bin being counted (None: none yet), the last item counted in it and its lot, and whether
    that item's lot is still wanted (scanned without it)."""

    location_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    lot_wanted: bool = False

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> CountState:
        def number(name: str) -> int | None:
            value = str(form.get(name, "") or "").strip()
            return int(value) if value.isdigit() else None

        location_id = number("location_id")
        sku_id = number("sku_id") if location_id is not None else None
        if sku_id is None:
            return cls(location_id)
        wanted = str(form.get("lot_wanted", "") or "") == "1"
        return cls(location_id, sku_id, None if wanted else number("lot_id"), wanted)


@dataclass(frozen=True)
class CountBin:
    location_id: int
    label: BinLabel
    finished: bool


@dataclass(frozen=True)
class CountView:
    open: bool
    bins: tuple[CountBin, ...]

    def scanned(self, code: str) -> CountBin | None:
        return next((b for b in self.bins if bin_matches(b.label, code)), None)

    def bin(self, location_id: int) -> CountBin | None:
        return next((b for b in self.bins if b.location_id == location_id), None)


@dataclass(frozen=True)
class Step:
    """What the service does: start_bin, count_item (+1), give_lot (the lot of the item just scanned, +1),
    set_counted (the typed quantity) or finish_bin."""

    state: CountState
    action: str
    quantity: int | None = None


def count_closed() -> ScanRefused:
    return ScanRefused("This count is closed.", code="count_closed")


def bin_not_in_count(scanned: str) -> ScanRefused:
    return ScanRefused(f"Bin {scanned or '–'} is not part of this count.", code="bin_not_in_count",
                       scanned=scanned or "–")


def bin_counted(bin_code: str) -> ScanRefused:
    return ScanRefused(f"Bin {bin_code} is counted already.", code="bin_counted", expected=bin_code, bin=bin_code)


def item_first() -> ScanRefused:
    return ScanRefused("Scan an item before typing its quantity.", code="item_first")


def finish_first(bin_code: str) -> ScanRefused:
    return ScanRefused("Finish this bin first: scan its barcode again or press Finish bin.", code="finish_first",
                       expected=bin_code, bin=bin_code)


def lot_first() -> ScanRefused:
    return ScanRefused("Give the lot of the item you scanned first: scan its lot label or type the lot number.",
                       code="lot_first")


def next_step(state: CountState, code: str, count: CountView) -> Step | DomainError:
    code = code.strip()
    if not count.open:
        return count_closed()
    if state.location_id is None:
        found = count.scanned(code)
        if found is None:
            return bin_not_in_count(code)
        if found.finished:
            return bin_counted(found.label.code)
        return Step(CountState(found.location_id), "start_bin")
    current = count.bin(state.location_id)
    if current is None:
        return bin_not_in_count(code)
    if current.finished:
        return bin_counted(current.label.code)
    if state.lot_wanted and state.sku_id is not None:
        if bin_matches(current.label, code) or count.scanned(code) is not None:
            return lot_first()
        return Step(state, "give_lot") if code else lot_first()
    if is_typed_quantity(code):
        if state.sku_id is None:
            return item_first()
        return Step(state, "set_counted", quantity=int(code))
    if bin_matches(current.label, code):
        return Step(CountState(), "finish_bin")
    if count.scanned(code) is not None:
        return finish_first(current.label.code)
    return Step(state, "count_item")


def finish_step(location_id: int, count: CountView) -> Step | DomainError:
    """The Finish bin button: the bin must be one of the count's, not finished yet."""
    if not count.open:
        return count_closed()
    current = count.bin(location_id)
    if current is None:
        return bin_not_in_count("")
    if current.finished:
        return bin_counted(current.label.code)
    return Step(CountState(), "finish_bin")
