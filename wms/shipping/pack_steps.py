"""The pack station's steps (复核 / 打包): count every unit of the order into its packages, then weigh each.

Pure: plain data in, the next state or a refusal out; neither Flask nor the database. The state is
kept server-side (`pack_progress`, one row per order being packed, written in the same transaction
as the scan's idempotency record), so a reload, a lost answer or a replayed scan loses nothing and
counts nothing twice. The scan service (`wms.shipping.pack_services`) reads the order's lines into
`LineToPack`s, asks these functions, stores the new state and, once every package is weighed, packs
the order out (`services.pack_out`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from erp_core.errors import DomainError, ValidationFailed
from wms.scanning import ScanRefused, WrongItemScanned, bad_quantity, wrong_item

MAX_TYPED_UNITS = 9999


@dataclass(frozen=True)
class PackageProgress:
    """One parcel being filled: {order line id: units counted into it}, and once weighed its box and weight."""

    lines: Mapping[int, int] = field(default_factory=dict)
    box_type_id: int | None = None
    weight_g: int | None = None

    @property
    def units(self) -> int:
        return sum(self.lines.values())


@dataclass(frozen=True)
class PackState:
    """The packages of an order at the station; units are counted into the last (open) one."""

    packages: tuple[PackageProgress, ...] = (PackageProgress(),)

    @classmethod
    def from_json(cls, data: Mapping | None) -> PackState:
        packages = tuple(PackageProgress({int(k): int(v) for k, v in (p.get("lines") or {}).items() if int(v) > 0},
                                         p.get("box_type_id"), p.get("weight_g"))
                         for p in (data or {}).get("packages", []))
        return cls(packages or (PackageProgress(),))

    def to_json(self) -> dict:
        return {"packages": [{"lines": {str(k): v for k, v in p.lines.items()}, "box_type_id": p.box_type_id,
                              "weight_g": p.weight_g} for p in self.packages]}

    def counted(self) -> dict[int, int]:
        """Units counted per order line, over all packages."""
        total: dict[int, int] = {}
        for package in self.packages:
            for line_id, qty in package.lines.items():
                total[line_id] = total.get(line_id, 0) + qty
        return total

    @property
    def open_index(self) -> int:
        return len(self.packages) - 1


@dataclass(frozen=True)
class LineToPack:
    """An order line as the station sees it: its SKU and the units the order holds for it (to pack)."""

    line_id: int
    sku_id: int
    sku_code: str
    units: int


@dataclass(frozen=True)
class Step:
    """The next state and what the screen says (a key of the route's sentences, with its values);
    `confirm` when every package is weighed and the order is to be packed out now."""

    state: PackState
    say: str
    confirm: bool = False
    params: Mapping[str, object] = field(default_factory=dict)


# --- refusals (each with an English sentence; translated through erp_core.messages) ----------------

def extra_item(sku: str, expected: str) -> WrongItemScanned:
    return WrongItemScanned(f"Extra item {sku}: all its units are counted already. Still expected: {expected}.",
                            code="pack_extra_item", sku=sku, expected=expected)


def too_many_units(sku: str, left: int) -> ScanRefused:
    return ScanRefused(f"Too many: only {left} more of {sku} belong in this order.", code="pack_units_over",
                       sku=sku, left=left, expected=str(left))


def package_empty() -> ScanRefused:
    return ScanRefused("The open package is empty: put units into it before opening another.",
                       code="pack_package_empty")


def nothing_left() -> ScanRefused:
    return ScanRefused("Every unit is counted: weigh the packages.", code="pack_nothing_left")


def still_to_count(skus: str) -> ValidationFailed:
    return ValidationFailed(f"Scan every unit first: {skus} still to count.", code="pack_units_left", skus=skus)


def no_such_package(number: int) -> ValidationFailed:
    return ValidationFailed(f"There is no package {number}.", code="pack_no_such_package", number=number)


# --- the steps -----------------------------------------------------------------------------------

def left(state: PackState, lines: Sequence[LineToPack]) -> dict[int, int]:
    """Units still to count, per order line (lines with none left are left out)."""
    counted = state.counted()
    return {line.line_id: line.units - counted.get(line.line_id, 0) for line in lines
            if line.units > counted.get(line.line_id, 0)}


def left_summary(state: PackState, lines: Sequence[LineToPack]) -> str:
    """What is still expected, as the refusals name it: "A ×1, B ×2"."""
    per_sku: dict[str, int] = {}
    todo = left(state, lines)
    for line in lines:
        if line.line_id in todo:
            per_sku[line.sku_code] = per_sku.get(line.sku_code, 0) + todo[line.line_id]
    return ", ".join(f"{code} ×{n}" for code, n in per_sku.items())


def is_complete(state: PackState, lines: Sequence[LineToPack]) -> bool:
    return not left(state, lines)


def count_units(state: PackState, lines: Sequence[LineToPack], sku_id: int | None, scanned: str,
                quantity: int = 1) -> Step | DomainError:
    """A scanned unit (or `quantity` of them, typed for multiples) goes into the open package.

    Refused, changing nothing: a SKU the order does not hold (`wrong_item`), one whose units are all
    counted (`pack_extra_item`), more units than are left of it (`pack_units_over`)."""
    if not 1 <= quantity <= MAX_TYPED_UNITS:
        return bad_quantity(1, MAX_TYPED_UNITS)
    mine = [line for line in lines if line.sku_id == sku_id] if sku_id is not None else []
    if not mine:
        return wrong_item(scanned.strip() or "–", left_summary(state, lines) or "–")
    todo = left(state, lines)
    available = sum(todo.get(line.line_id, 0) for line in mine)
    if available == 0:
        return extra_item(mine[0].sku_code, left_summary(state, lines) or "–")
    if quantity > available:
        return too_many_units(mine[0].sku_code, available)
    open_package = state.packages[-1]
    into = dict(open_package.lines)
    rest = quantity
    for line in mine:  # a SKU on several lines (a kit component and a plain line): fill them in order
        take = min(rest, todo.get(line.line_id, 0))
        if take:
            into[line.line_id] = into.get(line.line_id, 0) + take
            rest -= take
    new = PackState(state.packages[:-1] + (replace(open_package, lines=into),))
    done_of_sku = sum(new.counted().get(line.line_id, 0) for line in mine)
    params = {"sku": mine[0].sku_code, "n": done_of_sku, "of": sum(line.units for line in mine)}
    return Step(new, "complete" if is_complete(new, lines) else "counted", params=params)


def open_package(state: PackState, lines: Sequence[LineToPack]) -> Step | DomainError:
    """Start another package (多包裹): the next units go into it. The open one must hold units, and
    some must be left to count."""
    if state.packages[-1].units == 0:
        return package_empty()
    if is_complete(state, lines):
        return nothing_left()
    return Step(PackState(state.packages + (PackageProgress(),)), "package_opened",
                params={"n": len(state.packages) + 1})


def next_to_weigh(state: PackState) -> int | None:
    """The index of the first package without a weight (None when every one is weighed)."""
    return next((i for i, p in enumerate(state.packages) if not p.weight_g), None)


def weigh(state: PackState, lines: Sequence[LineToPack], index: int, box_type_id: int | None,
          weight_g: int) -> Step | DomainError:
    """The weight (and the box) of one package; when it is the last one unweighed, the order is packed."""
    if not is_complete(state, lines):
        return still_to_count(left_summary(state, lines))
    if not 0 <= index < len(state.packages):
        return no_such_package(index + 1)
    if weight_g <= 0:
        return ValidationFailed("weigh the package: its weight is needed", code="weight_required")
    packages = list(state.packages)
    packages[index] = replace(packages[index], box_type_id=box_type_id, weight_g=weight_g)
    new = PackState(tuple(packages))
    following = next_to_weigh(new)
    if following is None:
        return Step(new, "pack", confirm=True)
    return Step(new, "weigh_next", params={"n": following + 1})


def unweighed(state: PackState) -> PackState:
    """After a weight outside the tolerance: every package is to be weighed again."""
    return PackState(tuple(replace(p, weight_g=None) for p in state.packages))


def packages_to_pack(state: PackState) -> list[tuple[int | None, int, dict[int, int]]]:
    """(box type, weight, {line: units}) of each package holding units, in order, for pack_out."""
    return [(p.box_type_id, p.weight_g or 0, dict(p.lines)) for p in state.packages if p.units]


# --- which order a unit scanned from a cart is for -------------------------------------------------

@dataclass(frozen=True)
class WaitingOrder:
    """An order on a cart (or in a wave) waiting at the station, as the unit scan sees it."""

    order_id: int
    rank: tuple  # oldest (or next in the wave's sequence) first
    skus_left: Mapping[int, int]  # SKU id -> units still to pack

    @property
    def single_sku(self) -> int | None:
        """The SKU when the order holds one SKU only (一单一货 / 爆款)."""
        return next(iter(self.skus_left)) if len(self.skus_left) == 1 else None


def order_for_unit(waiting: Sequence[WaitingOrder], sku_id: int | None, *, single_only: bool = False
                   ) -> WaitingOrder | None:
    """The oldest waiting order that still wants this SKU (with `single_only`: that holds nothing else)."""
    if sku_id is None:
        return None
    fits = [o for o in waiting if o.skus_left.get(sku_id, 0) > 0 and (not single_only or o.single_sku == sku_id)]
    return min(fits, key=lambda o: (o.rank, o.order_id)) if fits else None
