"""Audit rule settings: each rule has ``enabled`` and its parameters; stored as plain JSON-able dicts.

The defaults are what a new shop gets: every hold rule on, a 5000 review threshold, an empty
blacklist that holds (not rejects), and a 24-hour duplicate window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from typing import Any, Literal

#: The rules a shop can switch off to let more orders through automatically.
HOLD_RULES: tuple[str, ...] = ("buyer_note", "seller_note", "amount", "blacklist", "duplicate", "address")


@dataclass(frozen=True)
class AutoApproveRule:
    """Approve without a person when nothing holds the order. Off: every order waits for a person."""

    enabled: bool = True


@dataclass(frozen=True)
class NoteRule:
    """Hold orders with a note (buyer's message or seller's remark): someone should read it."""

    enabled: bool = True


@dataclass(frozen=True)
class AmountRule:
    """Hold orders whose total is above ``threshold`` (in the order's currency)."""

    enabled: bool = True
    threshold: Decimal = Decimal("5000")


@dataclass(frozen=True)
class BlacklistRule:
    """Hold or reject orders from listed buyer ids or phones."""

    enabled: bool = True
    buyer_ids: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    action: Literal["hold", "reject"] = "hold"


@dataclass(frozen=True)
class DuplicateRule:
    """Hold an order when an open order of the same buyer to the same address is within ``window_hours``."""

    enabled: bool = True
    window_hours: int = 24


@dataclass(frozen=True)
class AddressRule:
    """Hold addresses couriers reject: PO boxes, too-short street parts, non-mobile phones in China."""

    enabled: bool = True
    min_detail_length: int = 5
    check_po_box: bool = True
    check_mobile: bool = True


@dataclass(frozen=True)
class RuleSettings:
    """All audit rules of a shop."""

    auto_approve: AutoApproveRule = field(default_factory=AutoApproveRule)
    buyer_note: NoteRule = field(default_factory=NoteRule)
    seller_note: NoteRule = field(default_factory=NoteRule)
    amount: AmountRule = field(default_factory=AmountRule)
    blacklist: BlacklistRule = field(default_factory=BlacklistRule)
    duplicate: DuplicateRule = field(default_factory=DuplicateRule)
    address: AddressRule = field(default_factory=AddressRule)

    def with_hold_rules(self, enabled: bool) -> RuleSettings:
        """A copy with every hold rule switched on or off (auto-approval untouched)."""
        return replace(self, **{name: replace(getattr(self, name), enabled=enabled) for name in HOLD_RULES})

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """JSON-able form: Decimals as strings, sets as sorted lists."""
        return {name: {key: _plain(value) for key, value in asdict(rule).items()}
                for name, rule in ((f.name, getattr(self, f.name)) for f in fields(self))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> RuleSettings:
        """Settings from ``to_dict`` output; missing rules and parameters keep their defaults.

        Raises ``ValueError`` for unknown rules or parameters, so a typo in stored settings is loud.
        """
        defaults = cls()
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown audit rules: {sorted(unknown)}")
        changes = {}
        for name, params in data.items():
            rule = getattr(defaults, name)
            allowed = {f.name: f for f in fields(rule)}
            bad = set(params) - set(allowed)
            if bad:
                raise ValueError(f"unknown parameters for audit rule {name}: {sorted(bad)}")
            changes[name] = replace(rule, **{key: _typed(getattr(rule, key), value)
                                             for key, value in params.items()})
        settings = replace(defaults, **changes)
        if settings.blacklist.action not in ("hold", "reject"):
            action = settings.blacklist.action
            raise ValueError(f"blacklist action must be 'hold' or 'reject', not {action!r}")
        return settings


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def _typed(default: Any, value: Any) -> Any:
    """Convert a stored value to the type of the parameter's default."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"expected true/false, got {value!r}")
        return value
    if isinstance(default, Decimal):
        return Decimal(str(value))
    if isinstance(default, int):
        return int(value)
    if isinstance(default, frozenset):
        return frozenset(str(item) for item in value)
    return value
