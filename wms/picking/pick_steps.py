"""The pick screen's steps (拣货): scan the bin, then the item, then (cluster carts) the tote slot.

Pure: plain data in, the next step or a refusal out; neither Flask nor the database. The screen
keeps no state of its own: each answer sends the accepted scans back as hidden fields, and the next
scan brings them again. The scan service (`wms.picking.scan_services`) reads the task into a
`PickTaskView`, asks `next_step`, and confirms the pick when the step says so.

Lots (批次): a task of a lot-tracked SKU names the lot to pick. The item scan may be a GS1 label
naming its lot (or the picker types the lot); `lot_to_pick` says which lot the units are: the
task's, or another lot of the same bin that is as good for the order (not on hold, expiring on or
after the order's shipping limit, enough free units), whose reservation is then swapped in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from erp_core.errors import DomainError
from wms.scanning import BinLabel, bad_quantity, bin_matches, wrong_bin, wrong_item

from .errors import ScanRefused, bin_empty, lot_scan_needed, too_many, wrong_lot, wrong_slot


@dataclass(frozen=True)
class PickState:
    """Where the picker is on the current task: the scans accepted so far and the quantity in hand."""

    step: str = "bin"  # bin -> item -> slot
    bin: str = ""
    item: str = ""
    qty: int = 1
    lot: str = ""  # at the item step the lot typed by hand, after it the lot accepted for the pick

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> PickState:
        """The state the screen sent back: no bin yet, a bin but no item, or both (the slot is next)."""
        bin_scan, item_scan = form.get("bin", "").strip(), form.get("item", "").strip()
        typed = str(form.get("qty", "")).strip()
        quantity = max(int(typed), 1) if typed.isdigit() else 1
        step = "bin" if not bin_scan else "item" if not item_scan else "slot"
        lot = str(form.get("lot", "") or "").strip() if step != "bin" else ""
        return cls(step, bin_scan, item_scan if step == "slot" else "", quantity, lot)

    def hidden(self) -> dict[str, str]:
        """The accepted scans the next form sends back."""
        if self.step == "item":
            return {"bin": self.bin}
        if self.step == "slot":
            kept = {"bin": self.bin, "item": self.item, "qty": str(self.qty)}
            return kept | {"lot": self.lot} if self.lot else kept
        return {}


@dataclass(frozen=True)
class LotInBin:
    """One lot of the task's SKU lying in the task's bin, as the lot check sees it."""

    number: str
    expiry: date | None
    on_hold: bool
    free: int  # its units there that nobody has reserved


@dataclass(frozen=True)
class PickTaskView:
    """What the steps need to know of a pick task."""

    bin: BinLabel
    sku_id: int
    sku_code: str
    remaining: int           # units still to pick (quantity - picked - short)
    slot: int | None = None  # cluster carts: the order's slot on the cart
    slot_code: str = ""      # the slot's label: <tote barcode>-S<slot>
    lot: str | None = None   # the lot to pick (None: the SKU is not tracked by lot)
    lot_expiry: date | None = None
    ship_limit: date | None = None       # the order's shipping limit for the SKU: the earliest expiry it takes
    bin_lots: tuple[LotInBin, ...] = ()  # every lot of the SKU in the bin, the task's own included


@dataclass(frozen=True)
class Scan:
    """A scanned code and the SKU it is known as (barcode or SKU code), if any."""

    code: str
    sku_id: int | None = None
    lot: str | None = None  # the lot its GS1 label names (AI 10), if any


@dataclass(frozen=True)
class Step:
    """The next state, what the screen says (a key of the route's sentences, with its values), and
    whether every scan of the pick is in so it is confirmed now."""

    state: PickState
    say: str
    confirm: bool = False
    params: Mapping[str, object] = field(default_factory=dict)


def next_step(state: PickState, scan: Scan, task: PickTaskView) -> Step | DomainError:
    """One scan of the pick screen: the bin must be the task's, the item its SKU (and no more units
    than are left), the slot its order's; a cart without slots confirms on the item."""
    code = scan.code.strip()
    if state.step == "bin":
        if not bin_matches(task.bin, code):
            return wrong_bin(code, task.bin.code)
        return Step(PickState("item", bin=code, qty=state.qty), "bin_ok")
    if state.step == "item":
        if scan.sku_id is None or scan.sku_id != task.sku_id:
            return wrong_item(code, task.sku_code)
        if task.remaining <= 0:
            return bin_empty()
        if state.qty > task.remaining:
            return too_many(task.remaining)
        lot = lot_to_pick(task, scan.lot or state.lot, state.qty)
        if isinstance(lot, DomainError):
            return lot
        in_hand = replace(state, step="slot", item=code, lot=lot or "")
        if task.slot:
            return Step(in_hand, "scan_slot", params={"slot": task.slot})
        return Step(in_hand, "confirm", confirm=True)
    if code.upper() != task.slot_code.upper():
        return wrong_slot(code, task.slot or 0)
    return Step(state, "confirm", confirm=True)


def same_lot(a: str | None, b: str | None) -> bool:
    """Lot numbers compare as they are stored: spaces collapsed, upper case."""
    return bool(a and b) and " ".join(a.split()).upper() == " ".join(b.split()).upper()


def lot_to_pick(task: PickTaskView, scanned: str | None, quantity: int) -> str | None | ScanRefused:
    """The lot `quantity` units picked for the task are: None for a SKU not tracked by lot; the
    task's lot when the scan names it, or names no lot and the bin holds no other lot of the SKU;
    another lot of the bin when it is as good for the order (not on hold, expiring on or after the
    order's shipping limit, at least `quantity` free units): the pick then swaps the reservation.
    Refused: a plain barcode where several lots lie (`lot_scan_needed`), any other lot (`wrong_lot`)."""
    if task.lot is None:
        return None
    expiry = task.lot_expiry.isoformat() if task.lot_expiry else ""
    if not scanned:
        if any(not same_lot(other.number, task.lot) for other in task.bin_lots):
            return lot_scan_needed(task.lot, task.sku_code)
        return task.lot
    if same_lot(scanned, task.lot):
        return task.lot
    other = next((lot for lot in task.bin_lots if same_lot(lot.number, scanned)), None)
    too_short = (other is not None and other.expiry is not None and task.ship_limit is not None
                 and other.expiry < task.ship_limit)
    if other is None or other.on_hold or too_short or other.free < quantity:
        return wrong_lot(" ".join(scanned.split()).upper(), task.lot, expiry)
    return other.number


def after_refusal(state: PickState) -> PickState:
    """A refused scan: back to the item when the bin was accepted, else to the bin."""
    return PickState("item", bin=state.bin) if state.bin else PickState()


def after_pick(state: PickState, *, cart_done: bool, left_here: int, destination: str = "packing") -> Step:
    """After a confirmed pick: the cart is complete (take it to `destination`: "packing", or
    "put_wall" for a batch-and-sort cart), more units wait in this bin, or the next bin."""
    if cart_done:
        return Step(PickState(), "cart_done", params={"to": destination})
    if left_here:
        return Step(PickState("item", bin=state.bin), "more_here", params={"n": left_here})
    return Step(PickState(), "next_bin")


def short_step(found: int, task: PickTaskView) -> Step | DomainError:
    """A short pick (缺货): the picker found `found` of the units left; anything from none to all."""
    if not 0 <= found <= task.remaining:
        return bad_quantity(0, task.remaining)
    return Step(PickState(), "short_reported", confirm=True)


# --- stops: one bin, SKU and lot of a cart carrying many orders ------------------------------------

@dataclass(frozen=True)
class TaskLine:
    """One open pick task as the stop grouping sees it."""

    id: int
    sequence: int            # its place in the cart's route
    location_id: int
    sku_id: int
    lot_id: int | None
    remaining: int           # units still to pick
    order_rank: int = 0      # its order's place in the wave (oldest first)


@dataclass(frozen=True)
class Stop:
    """The picker's stop: one bin, one SKU (and lot), the total still to pick there, and the tasks
    it stands for in the order confirmed units are given to them."""

    location_id: int
    sku_id: int
    lot_id: int | None
    remaining: int
    task_ids: tuple[int, ...]

    @property
    def head(self) -> int:
        """The task the screen names the stop by (the first one to receive units)."""
        return self.task_ids[0]


def share_order(tasks: Iterable[TaskLine]) -> list[TaskLine]:
    """The fixed order units are shared out in: oldest order of the wave first, then task id."""
    return sorted(tasks, key=lambda t: (t.order_rank, t.id))


def group_stops(tasks: Iterable[TaskLine]) -> list[Stop]:
    """The open tasks (remaining > 0) grouped by bin, SKU and lot, in route order (a stop comes where
    the route first reaches one of its tasks). Two lots of a SKU in one bin are two stops: each pick
    names the lot taken, and each lot's units go to the lines reserved on it."""
    groups: dict[tuple[int, int, int | None], list[TaskLine]] = {}
    for task in sorted((t for t in tasks if t.remaining > 0), key=lambda t: (t.sequence, t.id)):
        groups.setdefault((task.location_id, task.sku_id, task.lot_id), []).append(task)
    return [Stop(location_id, sku_id, lot_id, sum(t.remaining for t in members),
                 tuple(t.id for t in share_order(members)))
            for (location_id, sku_id, lot_id), members in groups.items()]


def share_out(quantity: int, parts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Give `quantity` units to `parts` [(task id, units it still wants)] in their order, each filled
    before the next gets any: [(task id, units)] for the parts that get some. Confirmed picks and the
    units found at a short pick are shared out alike, so a shortage falls on the newest orders."""
    shares, left = [], max(quantity, 0)
    for task_id, wanted in parts:
        if left <= 0:
            break
        take = min(left, wanted)
        if take > 0:
            shares.append((task_id, take))
            left -= take
    return shares
