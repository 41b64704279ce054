"""Lots and expiry (批次/保质期): the pure rules. No Flask, no database.

- The **shipping limit** of a line: the earliest expiry date a lot may have to be allocated to it,
  from the SKU's minimum days left at shipment and the shop's platform rule (a share of the shelf
  life, e.g. 2/3). The stricter of the two wins.
- The **receipt check**: goods with less remaining life than the SKU's minimum are refused (or
  flagged, by setting).
- **GS1 scans**: GS1-128 / GS1 DataMatrix element strings with AIs 01 (GTIN), 10 (lot), 11
  (production date) and 17 (expiry date), parsed by python-stdnum.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import gs1_128
from stdnum.exceptions import ValidationError

GS = "\x1d"  # FNC1 as a scanner sends it inside a code (ASCII group separator)
# AIM symbology identifiers a scanner may prefix: ]C1 GS1-128, ]d2 GS1 DataMatrix, ]Q3 GS1 QR, ]e0 DataBar.
_SYMBOLOGY_PREFIX = re.compile(r"^\](C1|d2|Q3|e0)")


@dataclass(frozen=True)
class ShelfLife:
    """A SKU's lot rules (days; None = no rule)."""

    shelf_life_days: int | None = None
    min_receipt_life_days: int | None = None
    min_ship_life_days: int | None = None


def shipping_limit(today: date, rule: ShelfLife, *, channel_percent: int | None = None) -> date:
    """The earliest expiry date a lot may have to be shipped today: today + the days that must be
    left (the SKU's minimum, or the channel's share of the shelf life, whichever is stricter).
    A lot expiring on the limit itself is still accepted; an expired lot (expiry before today) never is."""
    days = rule.min_ship_life_days or 0
    if channel_percent and rule.shelf_life_days:
        days = max(days, math.ceil(rule.shelf_life_days * channel_percent / 100))
    return today + timedelta(days=days)


def remaining_days(today: date, expiry: date) -> int:
    return (expiry - today).days


def expiry_from_production(production: date, shelf_life_days: int | None) -> date | None:
    """The expiry date printed nowhere but implied: production date + shelf life."""
    return production + timedelta(days=shelf_life_days) if shelf_life_days else None


def receipt_shortfall(today: date, expiry: date | None, rule: ShelfLife) -> int | None:
    """How many days short of the minimum remaining life at receipt the goods are (None when fine)."""
    if expiry is None or rule.min_receipt_life_days is None:
        return None
    short = rule.min_receipt_life_days - remaining_days(today, expiry)
    return short if short > 0 else None


@dataclass(frozen=True)
class Gs1Data:
    """What a GS1 element string told: any of GTIN, lot number, production and expiry date."""

    gtin: str | None = None
    lot_number: str | None = None
    production_date: date | None = None
    expiry_date: date | None = None


def looks_like_gs1(code: str) -> bool:
    """A GS1 element string rather than a plain barcode: bracketed AIs, a symbology prefix, a
    group separator, or AI 01 followed by a 14-digit GTIN and more AIs."""
    code = code.strip()
    return bool(code.startswith("(") or _SYMBOLOGY_PREFIX.match(code) or GS in code
                or (code.startswith("01") and len(code) > 16 and code[2:16].isdigit()))


def parse_gs1(code: str) -> Gs1Data | None:
    """Parse a GS1-128 / DataMatrix scan; None when it is not a GS1 element string (a plain barcode).

    Accepts the human-readable form "(01)...(17)...(10)..." and the raw form a scanner sends, with an
    optional AIM symbology identifier and FNC1 sent as a group separator (ASCII 29)."""
    if not looks_like_gs1(code):
        return None
    raw = _SYMBOLOGY_PREFIX.sub("", code.strip())
    try:
        fields = gs1_128.info(raw, separator=GS)
    except (ValidationError, ValueError):
        return None
    if not any(fields.get(ai) for ai in ("01", "10", "11", "17")):
        return None  # GS1-looking but none of what a lot label carries: treat it as an unknown code
    lot = fields.get("10")
    return Gs1Data(gtin=fields.get("01"), lot_number=(str(lot).strip() or None) if lot is not None else None,
                   production_date=_as_date(fields.get("11")), expiry_date=_as_date(fields.get("17")))


def _as_date(value) -> date | None:
    if value is None:
        return None
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def gtin_codes(gtin: str) -> list[str]:
    """The barcodes a GTIN-14 from AI 01 may be stored as: itself, EAN-13 and UPC-A (leading zeros dropped)."""
    codes = [gtin]
    if len(gtin) == 14 and gtin.startswith("0"):
        codes.append(gtin[1:])
        if gtin.startswith("00"):
            codes.append(gtin[2:])
    return codes


@dataclass(frozen=True)
class ExpiryAlert:
    """Where a lot stands against its dates today: days to expiry, the last day it may still be
    shipped (expiry minus the SKU's minimum days left at shipment), and whether either falls within
    the alert window of `window_days`."""

    expiry_date: date
    days_left: int
    last_ship_date: date
    days_to_ship_limit: int
    window_days: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def past_ship_limit(self) -> bool:
        return self.days_to_ship_limit < 0

    @property
    def due(self) -> bool:
        """Within the window of its expiry or of its shipping limit (or past either)."""
        return self.days_left <= self.window_days or self.days_to_ship_limit <= self.window_days


def last_ship_date(expiry: date, min_ship_life_days: int | None) -> date:
    """The last day a lot may leave: it must still have `min_ship_life_days` left when shipped."""
    return expiry - timedelta(days=min_ship_life_days or 0)


def expiry_alert(today: date, expiry: date | None, min_ship_life_days: int | None,
                 window_days: int) -> ExpiryAlert | None:
    """The lot's alert state (None for a lot without an expiry date: nothing to warn about)."""
    if expiry is None:
        return None
    limit = last_ship_date(expiry, min_ship_life_days)
    return ExpiryAlert(expiry, remaining_days(today, expiry), limit, remaining_days(today, limit), window_days)
