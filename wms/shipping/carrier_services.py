"""Carriers (快递公司), their number pools and the carrier-choice rules: the admin's use-cases.

Each function owns one transaction (erp_core.db.atomic). A carrier's api_key is write-only: it is
set or replaced here and read only by adapters and the webhook check, never returned to a screen
or the API.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, insert, select

from erp_core.channels.models import Channel
from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse

from .carrier_choice import BadCostTable, parse_cost_table, provinces_of
from .carriers.base import known_adapters
from .check_rules import RULES, BadRange, NumberRange, invalid_reason, normalise
from .models import CARRIER_KINDS, LABEL_FORMATS, Carrier, CarrierRule, TrackingNumber

CARRIER_FIELDS = ("name", "name_zh", "kind", "adapter", "check_rule", "label_format", "api_url", "api_key",
                  "cost_table", "tracking_stale_hours", "cutoff_time", "active")
_CODE = re.compile(r"^[A-Z0-9_-]{2,20}$")
INSERT_CHUNK = 1000


def get_carrier(code: str) -> Carrier:
    carrier = db.session.scalar(select(Carrier).filter_by(code=(code or "").strip().upper()))
    if carrier is None:
        raise NotFound(f"no carrier {code}", code="unknown_carrier", carrier=code)
    return carrier


def _check_carrier(carrier: Carrier) -> None:
    if carrier.kind not in CARRIER_KINDS:
        raise ValidationFailed("unknown carrier kind", code="carrier_kind_unknown", kind=carrier.kind)
    if carrier.label_format not in LABEL_FORMATS:
        raise ValidationFailed("unknown label format", code="label_format_unknown", label_format=carrier.label_format)
    if carrier.check_rule not in RULES and carrier.check_rule != "":
        raise ValidationFailed("unknown check rule", code="check_rule_unknown", rule=carrier.check_rule)
    if carrier.kind == "api":
        if carrier.adapter not in known_adapters():
            raise ValidationFailed("an API carrier needs a known adapter", code="carrier_adapter_unknown",
                                   carrier=carrier.code, adapter=carrier.adapter or "-")
        if not re.match(r"^https?://", carrier.api_url or ""):
            raise ValidationFailed("an API carrier needs its http(s) URL", code="carrier_api_url_required")
    if not 1 <= int(carrier.tracking_stale_hours or 0) <= 24 * 60:
        raise ValidationFailed("stale-tracking hours are 1 to 1440", code="bad_stale_hours")
    try:
        parse_cost_table(carrier.cost_table)
    except BadCostTable as error:
        raise ValidationFailed(f"bad cost table: {error}", code="bad_cost_table", problem=str(error)) from error


def _apply(carrier: Carrier, values: dict) -> None:
    for name in CARRIER_FIELDS:
        if name not in values or (values[name] is None and name != "cutoff_time"):  # no cut-off: None
            continue
        value = values[name]
        if name == "api_key" and value == "":
            continue  # write-only: an empty field keeps the stored key
        if isinstance(value, str) and name not in ("api_key", "cost_table"):
            value = value.strip()
        setattr(carrier, name, value)
    if not (carrier.cost_table or "").strip():
        carrier.cost_table = "{}"
    if carrier.kind != "api":
        carrier.adapter = ""
    if values.get("clear_api_key"):
        carrier.api_key = ""


def create_carrier(code: str, values: dict) -> Carrier:
    """A new carrier; refused when the code is taken or a field is not valid."""
    code = (code or "").strip().upper()
    if not _CODE.match(code):
        raise ValidationFailed("a carrier code is 2-20 letters, digits, - or _", code="bad_carrier_code")
    if not (values.get("name") or "").strip():
        raise ValidationFailed("a carrier needs a name", code="carrier_name_required")
    with atomic():
        if db.session.scalar(select(Carrier.id).filter_by(code=code)):
            raise ValidationFailed(f"carrier {code} exists", code="carrier_code_taken", carrier=code)
        carrier = Carrier(code=code, name="", name_zh="", kind="pool", adapter="", check_rule="none",
                          label_format="100x150", api_url="", api_key="", cost_table="{}", tracking_stale_hours=72,
                          active=True)
        _apply(carrier, values)
        _check_carrier(carrier)
        db.session.add(carrier)
        db.session.flush()
        return carrier


def update_carrier(code: str, values: dict) -> Carrier:
    """Change a carrier's set-up (its code stays: shipments and channels refer to it)."""
    with atomic():
        carrier = get_carrier(code)
        _apply(carrier, values)
        if not carrier.name:
            raise ValidationFailed("a carrier needs a name", code="carrier_name_required")
        _check_carrier(carrier)
        db.session.flush()
        return carrier


# --- number pools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolCounts:
    free: int
    used: int
    void: int
    low: bool
    threshold: int


def low_pool_threshold() -> int:
    return int(current_app.config.get("WMS_POOL_LOW_THRESHOLD", os.environ.get("WMS_POOL_LOW_THRESHOLD", "200")))


def pool_counts(carrier_id: int) -> PoolCounts:
    counts = dict(db.session.execute(select(TrackingNumber.status, func.count(TrackingNumber.id))
                                     .where(TrackingNumber.carrier_id == carrier_id)
                                     .group_by(TrackingNumber.status)).all())
    threshold = low_pool_threshold()
    free = counts.get("free", 0)
    return PoolCounts(free=free, used=counts.get("used", 0), void=counts.get("void", 0), low=free < threshold,
                      threshold=threshold)


@dataclass(frozen=True)
class Problem:
    source: str
    line: int
    number: str
    reason: str  # bad_characters, bad_format, bad_check_digit, duplicate_in_import, already_in_pool

    def as_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "number": self.number, "reason": self.reason}


def import_numbers(carrier_id: int, entries: list[tuple[str, int, str]]) -> int:
    """Import numbers the carrier issued into its pool, all or nothing: every number is checked with
    the carrier's check rule and against the pool; one bad or duplicate line refuses the whole import
    (`pool_import_refused`, with each problem's file, line and reason). Returns how many were added.

    Locks: nothing beyond the insert; two imports of one number at once end with one of them refused
    by the unique (carrier, number) index."""
    if not entries:
        raise ValidationFailed("give at least one number", code="pool_import_empty")
    with atomic():
        carrier = db.session.get(Carrier, carrier_id)
        if carrier is None:
            raise NotFound("no such carrier", code="unknown_carrier", carrier=carrier_id)
        if carrier.kind != "pool":
            raise ValidationFailed("only pool carriers take imported numbers", code="carrier_not_a_pool",
                                   carrier=carrier.code)
        problems, seen = [], {}
        for source, line, raw in entries:
            number = normalise(raw)
            reason = invalid_reason(carrier.check_rule or "none", number)
            if reason is None and number in seen:
                reason = "duplicate_in_import"
            if reason is not None:
                problems.append(Problem(source, line, number[:40], reason))
            seen.setdefault(number, (source, line))
        existing = set()
        numbers = list(seen)
        for i in range(0, len(numbers), INSERT_CHUNK):
            existing |= set(db.session.scalars(select(TrackingNumber.number).where(
                TrackingNumber.carrier_id == carrier.id, TrackingNumber.number.in_(numbers[i:i + INSERT_CHUNK]))))
        problems += [Problem(*seen[n], n, "already_in_pool") for n in numbers if n in existing]
        if problems:
            problems.sort(key=lambda p: (p.source, p.line))
            first = problems[0]
            raise ValidationFailed(f"nothing was imported: {len(problems)} bad line(s)", code="pool_import_refused",
                                   count=len(problems), first=f"{first.source}:{first.line} {first.number}",
                                   first_reason=first.reason, problems=[p.as_dict() for p in problems[:200]])
        for i in range(0, len(numbers), INSERT_CHUNK):
            db.session.execute(insert(TrackingNumber), [{"carrier_id": carrier.id, "number": n, "status": "free"}
                                                        for n in numbers[i:i + INSERT_CHUNK]])
        return len(numbers)


def import_range(carrier_id: int, number_range: NumberRange) -> int:
    """Import a range the carrier issued (prefix + start..end [+ check digit] + suffix); see import_numbers."""
    carrier = db.session.get(Carrier, carrier_id)
    if carrier is None:
        raise NotFound("no such carrier", code="unknown_carrier", carrier=carrier_id)
    try:
        numbers = number_range.numbers(carrier.check_rule or "none")
    except BadRange as error:
        raise ValidationFailed(f"bad range: {error.reason}", code="bad_number_range", reason=error.reason) from error
    return import_numbers(carrier_id, [("range", i, n) for i, n in enumerate(numbers, start=1)])


# --- carrier-choice rules --------------------------------------------------------------------------

RULE_FIELDS = ("priority", "carrier", "warehouse", "channel", "provinces", "min_weight_g", "max_weight_g", "active")


def _rule_refs(values: dict) -> dict:
    """The rule's columns from codes (carrier, warehouse, channel) as the screens and API give them."""
    out = {}
    if "carrier" in values:
        out["carrier_id"] = get_carrier(values["carrier"]).id
    if "warehouse" in values:
        code = (values["warehouse"] or "").strip()
        out["warehouse_id"] = None
        if code:
            out["warehouse_id"] = db.session.scalar(select(Warehouse.id).filter_by(code=code))
            if out["warehouse_id"] is None:
                raise NotFound(f"no warehouse {code}", code="unknown_warehouse", warehouse=code)
    if "channel" in values:
        code = (values["channel"] or "").strip()
        out["channel_id"] = None
        if code:
            out["channel_id"] = db.session.scalar(select(Channel.id).filter_by(code=code))
            if out["channel_id"] is None:
                raise NotFound(f"no channel {code}", code="unknown_channel", channel=code)
    if "provinces" in values:
        out["provinces"] = ",".join(sorted(provinces_of(values["provinces"] or "")))[:500]
    for name in ("priority", "min_weight_g", "max_weight_g", "active"):
        if name in values:
            out[name] = values[name]
    return out


def _check_rule_row(rule: CarrierRule) -> None:
    if rule.priority is None or not 0 <= rule.priority <= 100_000:
        raise ValidationFailed("priority is 0 to 100000", code="bad_rule_priority")
    for weight in (rule.min_weight_g, rule.max_weight_g):
        if weight is not None and weight < 0:
            raise ValidationFailed("weights cannot be negative", code="bad_rule_weights")
    if rule.min_weight_g is not None and rule.max_weight_g is not None and rule.min_weight_g > rule.max_weight_g:
        raise ValidationFailed("the minimum weight is above the maximum", code="bad_rule_weights")


def create_rule(values: dict) -> CarrierRule:
    if not values.get("carrier"):
        raise ValidationFailed("a rule names its carrier", code="rule_carrier_required")
    with atomic():
        rule = CarrierRule(priority=100, provinces="", active=True)
        for name, value in _rule_refs(values).items():
            setattr(rule, name, value)
        _check_rule_row(rule)
        db.session.add(rule)
        db.session.flush()
        return rule


def get_rule(rule_id: int) -> CarrierRule:
    rule = db.session.get(CarrierRule, rule_id)
    if rule is None:
        raise NotFound("no such carrier rule", code="unknown_carrier_rule", rule=rule_id)
    return rule


def update_rule(rule_id: int, values: dict) -> CarrierRule:
    with atomic():
        rule = get_rule(rule_id)
        for name, value in _rule_refs(values).items():
            setattr(rule, name, value)
        _check_rule_row(rule)
        db.session.flush()
        return rule


def delete_rule(rule_id: int) -> None:
    with atomic():
        db.session.delete(get_rule(rule_id))
