"""A replenishment task's scans (补货): the reserve bin, the item, then the pick face (or a quantity).

Pure: plain data in, the next step or a refusal out; neither Flask nor the database. The scan
service (`wms.locations.scan_services`) reads the task into a `ReplenishTaskView` and does what the
step says: claim the task at the reserve bin, confirm the move at the pick face.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from erp_core.errors import DomainError
from wms.scanning import BinLabel, bad_quantity, bin_matches, is_typed_quantity, wrong_bin, wrong_item

STEPS = ("from", "item", "to")


@dataclass(frozen=True)
class ReplenishState:
    """The scans accepted so far and the quantity typed (None: the task's whole quantity)."""

    step: str = "from"  # from -> item -> to
    from_code: str = ""
    item_code: str = ""
    qty: int | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ReplenishState:
        step = form.get("step", "from")
        typed = str(form.get("qty", "") or "").strip()
        return cls(step if step in STEPS else "from", form.get("from_code", "").strip(),
                   form.get("item_code", "").strip(), int(typed) if typed.isdigit() and int(typed) else None)

    def hidden(self) -> dict[str, object]:
        """The accepted scans (and, at the pick face, the quantity) the next form sends back."""
        kept: dict[str, object] = {k: v for k, v in (("from_code", self.from_code), ("item_code", self.item_code))
                                   if v}
        if self.step == "to" and self.qty is not None:
            kept["qty"] = self.qty
        return kept


@dataclass(frozen=True)
class ReplenishTaskView:
    from_bin: BinLabel
    to_bin: BinLabel
    sku_id: int
    sku_code: str
    quantity: int


@dataclass(frozen=True)
class Scan:
    code: str
    sku_id: int | None = None  # the SKU known by this code, if any


@dataclass(frozen=True)
class Step:
    """The next state, what the screen says (with its values), and what the service does now:
    `claim` the task (the reserve bin was scanned) or `confirm` the move (the pick face was)."""

    state: ReplenishState
    say: str  # bin_ok | take | quantity | done
    action: str = ""
    params: Mapping[str, object] = field(default_factory=dict)


def next_step(state: ReplenishState, scan: Scan, task: ReplenishTaskView) -> Step | DomainError:
    """One scan of a replenishment task. At the pick face the reserve bin must have been scanned
    before, and a quantity (digits) typed instead of a scan sets how many were taken (1 to the task's)."""
    code = scan.code.strip()
    quantity = state.qty or task.quantity
    if state.step == "from":
        if not bin_matches(task.from_bin, code):
            return wrong_bin(code, task.from_bin.code)
        return Step(ReplenishState("item", from_code=code), "bin_ok", action="claim")
    if state.step == "item":
        if scan.sku_id is None or scan.sku_id != task.sku_id:
            return wrong_item(code, task.sku_code)
        return Step(ReplenishState("to", state.from_code, code, quantity), "take",
                    params={"n": quantity, "bin": task.to_bin.code})
    if is_typed_quantity(code):
        if not 1 <= int(code) <= task.quantity:
            return bad_quantity(1, task.quantity)
        return Step(ReplenishState("to", state.from_code, state.item_code, int(code)), "quantity",
                    params={"n": int(code), "bin": task.to_bin.code})
    if not bin_matches(task.from_bin, state.from_code):
        return wrong_bin(state.from_code or "–", task.from_bin.code)
    if not bin_matches(task.to_bin, code):
        return wrong_bin(code, task.to_bin.code)
    if not 1 <= quantity <= task.quantity:
        return bad_quantity(1, task.quantity)
    return Step(ReplenishState(), "done", action="confirm",
                params={"n": quantity, "sku": task.sku_code, "bin": task.to_bin.code})
