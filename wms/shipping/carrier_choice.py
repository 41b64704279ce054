"""Carrier choice and shipping cost (pure: plain data in, plain data out; no Flask, no database).

A rule matches an order when each of its conditions that is set holds (warehouse, channel,
destination province, weight range); the lowest priority number wins, ties by rule id. The result
carries its explanation, stored on the shipment (`carrier_note`) and shown on the order page.

A cost table is JSON: ``{"default": [[max_g, "price"], ...], "<province>": [[max_g, "price"], ...]}``;
the first bracket whose max_g is at least the weight gives the price; a bracket with max_g null
takes any weight. The destination's own table is used when it has one, else "default".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class RuleSpec:
    id: int
    priority: int
    carrier_id: int
    carrier_code: str
    warehouse_id: int | None = None
    warehouse_code: str = ""
    channel_id: int | None = None
    channel_code: str = ""
    provinces: frozenset[str] = frozenset()
    min_weight_g: int | None = None
    max_weight_g: int | None = None


@dataclass(frozen=True)
class Parcel:
    warehouse_id: int | None
    channel_id: int | None
    province: str
    weight_g: int


@dataclass(frozen=True)
class Choice:
    carrier_id: int
    rule_id: int
    note: str


def provinces_of(text: str) -> frozenset[str]:
    """A rule's provinces from its comma list (full-width commas and 、 too, as people type them)."""
    for sep in ("，", "、", ";", "\n"):
        text = text.replace(sep, ",")
    return frozenset(p.strip() for p in text.split(",") if p.strip())


def _province_matches(wanted: frozenset[str], province: str) -> bool:
    # "广东" on a rule matches an order's "广东省" (and the other way round): addresses vary.
    province = province.strip()
    return any(p == province or (province and (province.startswith(p) or p.startswith(province))) for p in wanted)


def matches(rule: RuleSpec, parcel: Parcel) -> bool:
    return ((rule.warehouse_id is None or rule.warehouse_id == parcel.warehouse_id)
            and (rule.channel_id is None or rule.channel_id == parcel.channel_id)
            and (not rule.provinces or _province_matches(rule.provinces, parcel.province))
            and (rule.min_weight_g is None or parcel.weight_g >= rule.min_weight_g)
            and (rule.max_weight_g is None or parcel.weight_g <= rule.max_weight_g))


def explain(rule: RuleSpec, parcel: Parcel) -> str:
    """Why the rule matched, in the words the order page shows (see carrier_notes.note_text)."""
    parts = []
    if rule.warehouse_id is not None:
        parts.append(f"warehouse {rule.warehouse_code}")
    if rule.channel_id is not None:
        parts.append(f"channel {rule.channel_code}")
    if rule.provinces:
        parts.append(f"province {parcel.province}")
    if rule.min_weight_g is not None or rule.max_weight_g is not None:
        high = "" if rule.max_weight_g is None else rule.max_weight_g
        parts.append(f"weight {parcel.weight_g} g in {rule.min_weight_g or 0}-{high} g")
    return f"rule #{rule.id} (priority {rule.priority}): " + ("; ".join(parts) if parts else "any order")


def choose(rules: list[RuleSpec], parcel: Parcel) -> Choice | None:
    """The first matching rule's carrier and why, or None when no rule matches."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if matches(rule, parcel):
            return Choice(rule.carrier_id, rule.id, explain(rule, parcel)[:300])
    return None


class BadCostTable(ValueError):
    pass


def parse_cost_table(text: str) -> dict[str, list[tuple[int | None, Decimal]]]:
    """The table's brackets per destination, sorted by weight; BadCostTable when it is not one."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise BadCostTable(f"not JSON: {error.msg}") from error
    if not isinstance(raw, dict):
        raise BadCostTable("a cost table is an object of brackets per province")
    table = {}
    for key, brackets in raw.items():
        if not isinstance(brackets, list):
            raise BadCostTable(f"{key}: a list of [max grams, price] brackets")
        parsed = []
        for bracket in brackets:
            if not (isinstance(bracket, list) and len(bracket) == 2):
                raise BadCostTable(f"{key}: each bracket is [max grams, price]")
            max_g, price = bracket
            if max_g is not None and (not isinstance(max_g, int) or isinstance(max_g, bool) or max_g <= 0):
                raise BadCostTable(f"{key}: max grams must be a positive whole number or null")
            try:
                amount = Decimal(str(price))
            except InvalidOperation as error:
                raise BadCostTable(f"{key}: {price!r} is not a price") from error
            if not amount.is_finite() or amount < 0:
                raise BadCostTable(f"{key}: {price!r} is not a price")
            parsed.append((max_g, amount.quantize(Decimal("0.01"))))
        table[str(key).strip()] = sorted(parsed, key=lambda b: (b[0] is None, b[0] or 0))
    return table


def shipping_cost(table_text: str, province: str, weight_g: int) -> Decimal | None:
    """The price of a parcel of this weight to this province, or None when the table has no bracket."""
    try:
        table = parse_cost_table(table_text)
    except BadCostTable:
        return None
    brackets = table.get(province.strip())
    if brackets is None:
        brackets = next((b for key, b in table.items() if key != "default" and key
                         and _province_matches(frozenset({key}), province)), None)
    if brackets is None:
        brackets = table.get("default", [])
    for max_g, price in brackets:
        if max_g is None or weight_g <= max_g:
            return price
    return None
