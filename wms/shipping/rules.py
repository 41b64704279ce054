"""The shipping desk's pure rules: the weight check and the smallest box that fits. No Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WeightCheck:
    expected_g: int
    measured_g: int
    allowed_g: int

    @property
    def difference_g(self) -> int:
        return self.measured_g - self.expected_g

    @property
    def ok(self) -> bool:
        return abs(self.difference_g) <= self.allowed_g


def weight_check(expected_g: int, measured_g: int, *, tolerance_pct: int, tolerance_g: int) -> WeightCheck:
    """Measured within expected ± the larger of `tolerance_g` and `tolerance_pct` % of expected."""
    allowed = max(tolerance_g, (expected_g * tolerance_pct + 99) // 100)
    return WeightCheck(expected_g, measured_g, allowed)


@dataclass(frozen=True)
class Box:
    id: int
    inner_mm: tuple[int, int, int]
    tare_g: int = 0
    max_weight_g: int | None = None


def _sorted_dims(dims: tuple[int, int, int]) -> tuple[int, ...]:
    return tuple(sorted(dims, reverse=True))


def suggest_box(items: list[tuple[tuple[int, int, int], int]], boxes: list[Box], *, weight_g: int = 0) -> Box | None:
    """The smallest box (by volume) that fits the items: their total volume, and each item's sides
    (largest to largest) within the box's. Items of unknown size (a zero side) count by volume 0 and
    never prevent a box. None when no box fits."""
    volume = sum(a * b * c * qty for (a, b, c), qty in items)
    longest = [_sorted_dims(dims) for dims, _ in items if all(dims)]
    candidates = []
    for box in boxes:
        inner = _sorted_dims(box.inner_mm)
        if box.max_weight_g is not None and weight_g > box.max_weight_g:
            continue
        if volume > inner[0] * inner[1] * inner[2]:
            continue
        if any(any(side > room for side, room in zip(dims, inner, strict=True)) for dims in longest):
            continue
        candidates.append((inner[0] * inner[1] * inner[2], box.id, box))
    return min(candidates)[2] if candidates else None
