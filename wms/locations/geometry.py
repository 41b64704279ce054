"""Pure geometry of a rectangular parallel-aisle picking area.

The picker walks along the centre lines of the picking aisles (vertical, one x each) and of the cross
aisles (horizontal, one y each, spanning the full width). The front cross aisle is at y = 0, the back
one at y = aisle_length; middle cross aisles split the area into blocks. Widths are folded into the
coordinates: every distance here is a walk along those centre lines.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PickPoint:
    """A position in a picking aisle: aisle index and distance from the front cross aisle.

    `key` names what is there (a bin code, a SKU, the depot) and takes part in equality, so two
    different bins facing each other across the aisle are two pick points at one location.
    """

    aisle: int
    y: float
    key: str | None = None

    @property
    def location(self) -> tuple[int, float]:
        return (self.aisle, self.y)


@dataclass(frozen=True)
class Layout:
    """A rectangular warehouse of parallel picking aisles joined by full-width cross aisles.

    aisle_xs: x of each picking aisle's centre line, strictly increasing.
    aisle_length: y of the back cross aisle (the front one is at y = 0).
    middle_cross_aisles: y of any cross aisles between front and back (makes it multi-block).
    depot: where routes start and end; by default on the front cross aisle at the first aisle. A depot
        between two aisles can be modelled by an extra aisle x with no bins.
    slot_ys: y of the storage slots along each aisle, used only to generate bins (see `storage_bins`).
    """

    aisle_xs: tuple[float, ...]
    aisle_length: float
    middle_cross_aisles: tuple[float, ...] = ()
    depot: PickPoint = PickPoint(0, 0.0, "depot")
    slot_ys: tuple[float, ...] = ()
    cross_aisle_ys: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        xs = self.aisle_xs
        if not xs:
            raise ValueError("a layout needs at least one aisle")
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise ValueError("aisle x-coordinates must be strictly increasing")
        if self.aisle_length <= 0:
            raise ValueError("aisle length must be positive")
        ys = (0.0, *self.middle_cross_aisles, float(self.aisle_length))
        if any(b <= a for a, b in zip(ys, ys[1:], strict=False)):
            raise ValueError("middle cross aisles must lie strictly inside the aisles, increasing")
        object.__setattr__(self, "cross_aisle_ys", ys)
        self.check(self.depot)

    @property
    def blocks(self) -> int:
        return len(self.cross_aisle_ys) - 1

    @property
    def depot_at_front(self) -> bool:
        return self.depot.y == 0.0

    def check(self, point: PickPoint) -> None:
        """Raise ValueError if the point is not inside one of the layout's aisles."""
        if not 0 <= point.aisle < len(self.aisle_xs):
            raise ValueError(f"aisle {point.aisle} is not in the layout")
        if not 0.0 <= point.y <= self.aisle_length:
            raise ValueError(f"y={point.y} is outside aisle {point.aisle}")

    def block_of(self, y: float) -> int:
        """The block whose stretch of aisle holds y (a point on a middle cross aisle goes up)."""
        return min(bisect_right(self.cross_aisle_ys, y) - 1, self.blocks - 1)


def distance(layout: Layout, p: PickPoint, q: PickPoint) -> float:
    """Shortest walk between two points along aisles and cross aisles.

    Within one aisle the picker walks straight. Between aisles they leave by one cross aisle, walk
    across and enter the other aisle; leaving through several cross aisles is never shorter, because
    the vertical walk must touch at least one cross aisle anyway.
    """
    if p.aisle == q.aisle:
        return abs(p.y - q.y)
    xs = layout.aisle_xs
    dx = abs(xs[p.aisle] - xs[q.aisle])
    lo, hi = (p.y, q.y) if p.y <= q.y else (q.y, p.y)
    ys = layout.cross_aisle_ys
    i = bisect_left(ys, lo)
    above = ys[i]
    if above <= hi:
        return dx + hi - lo
    best = 2.0 * above - lo - hi
    if i:
        best = min(best, lo + hi - 2.0 * ys[i - 1])
    return dx + best


def henn_waescher_layout(
    aisles: int = 10,
    bins_per_aisle: int = 45,
    bin_length: float = 1.0,
    aisle_centre_distance: float = 5.0,
    cross_aisle_clearance: float = 1.0,
    blocks: int = 1,
) -> Layout:
    """A layout in the style used by Henn & Wäscher (2012, EJOR 222) for order batching experiments.

    Defaults: 10 picking aisles, 45 slots of 1 m along each side of every aisle (90 bins an aisle,
    900 in all; the picker in the aisle centre reaches both sides, so facing bins share a y), aisle
    centre lines 5 m apart, and 1 m from a cross aisle's centre line to the first slot edge, so a
    single-block aisle is 45 + 2 x 1 = 47 m between front and back cross aisles. The depot is on the
    front cross aisle in front of the first aisle. These numbers follow the usual description of that
    test bed; they are our reading, not a copy of the paper's instance files.

    blocks > 1 splits the slots of every aisle as evenly as possible between that many blocks, each
    bounded by cross aisles with the same clearance (a middle cross aisle adds 2 m of aisle length).
    """
    if aisles < 1 or bins_per_aisle < 1 or not 1 <= blocks <= bins_per_aisle:
        raise ValueError("need at least one aisle, one bin and between 1 and bins_per_aisle blocks")
    base, extra = divmod(bins_per_aisle, blocks)
    slot_ys: list[float] = []
    middles: list[float] = []
    y = 0.0
    for b in range(blocks):
        if b:
            middles.append(y)
        y += cross_aisle_clearance
        for _ in range(base + (1 if b < extra else 0)):
            slot_ys.append(y + bin_length / 2)
            y += bin_length
        y += cross_aisle_clearance
    return Layout(
        aisle_xs=tuple(i * aisle_centre_distance for i in range(aisles)),
        aisle_length=y,
        middle_cross_aisles=tuple(middles),
        slot_ys=tuple(slot_ys),
    )


def storage_bins(layout: Layout, sides: tuple[str, ...] = ("L", "R")) -> tuple[PickPoint, ...]:
    """Every bin of the layout as a pick point keyed by its bin code, e.g. "A01-L-07".

    Bins are numbered from the front, aisle by aisle, left side before right side.
    """
    return tuple(
        PickPoint(aisle, y, f"A{aisle + 1:02d}-{side}-{slot + 1:02d}")
        for aisle in range(len(layout.aisle_xs))
        for side in sides
        for slot, y in enumerate(layout.slot_ys)
    )
