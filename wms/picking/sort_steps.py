"""The put wall's steps (播种墙): scan the cart, then each item (the screen shows its slot), then the slot.

Pure: plain data in, the next step or a refusal out; neither Flask nor the database. The scan
service (`wms.picking.scan_services`) looks up what the code names (a cart, where a unit goes, the
slot's label) and confirms the sort when the step says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from erp_core.errors import DomainError
from wms.scanning import BinLabel, ScanRefused, bin_matches

from .errors import wrong_slot


@dataclass(frozen=True)
class SortState:
    """The cart being sorted and, once an item was scanned, the order line and slot it goes to."""

    step: str = "cart"  # cart -> item -> slot -> item ...
    list_id: int | None = None
    line_id: int | None = None
    sku_id: int | None = None
    slot: int | None = None
    lot_id: int | None = None  # the scanned unit's lot (lot-tracked SKUs), carried to the slot step

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> SortState:
        def number(name: str) -> int | None:
            value = str(form.get(name, "") or "").strip()
            return int(value) if value.isdigit() else None

        step, list_id = form.get("step", "cart"), number("list_id")
        if list_id is None or step not in ("item", "slot"):
            return cls()
        line_id, sku_id, slot = number("line_id"), number("sku_id"), number("slot")
        if step == "slot" and None not in (line_id, sku_id, slot):
            return cls("slot", list_id, line_id, sku_id, slot, number("lot_id"))
        return cls("item", list_id)

    def hidden(self) -> dict[str, int]:
        if self.step == "item":
            return {"list_id": self.list_id}
        if self.step == "slot":
            kept = {"list_id": self.list_id, "line_id": self.line_id, "sku_id": self.sku_id, "slot": self.slot}
            return kept | {"lot_id": self.lot_id} if self.lot_id is not None else kept
        return {}


@dataclass(frozen=True)
class CartView:
    """The pick list whose cart label was scanned."""

    list_id: int
    wave_reference: str
    batch: bool  # a batch-and-sort wave's cart: its units are sorted into order slots


@dataclass(frozen=True)
class SlotView:
    """Where one unit goes: the order line waiting for it, and that order's slot with its label."""

    line_id: int
    sku_id: int
    slot: int
    label: BinLabel
    lot_id: int | None = None  # the unit's lot (None: the SKU is not tracked by lot)


@dataclass(frozen=True)
class Step:
    state: SortState
    say: str  # cart_ok | go_to_slot | sorted | slot_complete | cart_empty
    confirm: bool = False
    params: Mapping[str, object] = field(default_factory=dict)


def not_a_cart(scanned: str) -> ScanRefused:
    return ScanRefused(f"{scanned or '–'} is not a cart label.", code="not_a_cart", scanned=scanned or "–")


def not_a_batch_cart() -> ScanRefused:
    return ScanRefused("This cart was picked per order: it needs no sorting.", code="not_a_batch_cart")


def next_step(state: SortState, code: str, view: CartView | SlotView | None) -> Step | DomainError:
    """One put-wall scan. `view` is what the code names at this step: the cart (None: no cart has
    this label), the slot the scanned unit goes to, or (at the slot step) the slot waited for."""
    code = code.strip()
    if state.step == "cart":
        if not isinstance(view, CartView):
            return not_a_cart(code)
        if not view.batch:
            return not_a_batch_cart()
        return Step(SortState("item", view.list_id), "cart_ok", params={"ref": view.wave_reference})
    if not isinstance(view, SlotView):
        raise TypeError("the item and slot steps need the slot the unit goes to")
    if state.step == "item":
        return Step(SortState("slot", state.list_id, view.line_id, view.sku_id, view.slot, view.lot_id), "go_to_slot",
                    params={"slot": view.slot})
    if not bin_matches(view.label, code):
        return wrong_slot(code, view.slot)
    return Step(SortState("item", state.list_id), "sorted", confirm=True, params={"slot": view.slot})


def after_sort(state: SortState, *, slot: int, order_number: str, slot_complete: bool, left_on_cart: int) -> Step:
    """After a unit went into its slot: the next item; or, when it was the order's last unit, the
    slot is complete (shown big with the order number); and when the cart holds nothing more to
    sort, the cart is empty and the next cart is scanned (never "next item" with nothing left)."""
    params = {"slot": slot, "order": order_number, "slot_complete": slot_complete, "left": left_on_cart}
    if left_on_cart <= 0:
        return Step(SortState(), "cart_empty", params=params)
    if slot_complete:
        return Step(SortState("item", state.list_id), "slot_complete", params=params)
    return Step(SortState("item", state.list_id), "sorted", params=params)
