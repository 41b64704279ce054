"""Cell-level parsing shared by the file imports: codes, money, quantities and times.

Every parser raises ``ValueError`` on bad input; the caller turns that into a ``RowError`` with the
right code. Regular expressions are compiled once here, because these run for every row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # slim image without tzdata; China has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

MAX_QUANTITY = 1_000_000

_MONEY_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_GROUPED_MONEY_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_MONEY_SYMBOLS = str.maketrans("", "", "¥￥$€£\u00a0 ")
_INTEGRAL_RE = re.compile(r"(\d+)(?:\.0*)?")
# Excel shows long numbers as 2.34568E+18 (always "E+" and a two-digit exponent); codes such as
# "5E2026" are not matched.
_SCIENTIFIC_RE = re.compile(r"(\d)(?:\.(\d+))?[eE]\+(\d{2,})")
_DATETIME_RE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)
_EXCEL_SERIAL_RE = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)
#: What ``clean`` trims (exported for loops that inline it).
STRIP_CHARS = " \t\r\n\u3000\ufeff\u200b\u00a0"
_STRIP_CHARS = STRIP_CHARS


def clean(raw: str | None) -> str:
    """Trim spaces, tabs, full-width spaces and stray BOM / zero-width characters."""
    return raw.strip(_STRIP_CHARS) if raw else ""


def clean_code(raw: str | None) -> str:
    """Normalise an identifier cell (order number, phone, postcode, SKU) mangled by spreadsheets.

    Undoes the tricks exports use to stop Excel treating long numbers as numbers: ``="123"``,
    ``=123``, a leading apostrophe or backtick, and a leading tab.
    """
    text = clean(raw)
    if not text or text[0] not in "='`":
        return text
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1]
    elif text.startswith("="):
        text = text[1:]
    return clean(text.lstrip(_STRIP_CHARS + "'`"))


def is_scientific(code: str) -> bool:
    """True when a number was displayed as ``2.34568E+18`` by Excel, losing its digits."""
    return "+" in code and _SCIENTIFIC_RE.fullmatch(code) is not None


def scientific_range(mangled: str) -> tuple[int, int, int] | None:
    """The integers Excel could have displayed as ``mangled`` (e.g. ``2.34568E+18``).

    Returns ``(digit count, lowest, highest + 1)``: the numbers of that many digits which, rounded
    half-up to as many significant digits as the mantissa shows, equal the mantissa. ``None`` when
    ``mangled`` is not scientific notation of an integer.
    """
    match = _SCIENTIFIC_RE.fullmatch(mangled)
    if match is None:
        return None
    mantissa = match.group(1) + (match.group(2) or "")
    length = int(match.group(3)) + 1
    if len(mantissa) > length or mantissa.startswith("0"):
        return None
    scale = 10 ** (length - len(mantissa))
    centre = int(mantissa) * scale
    if scale == 1:
        return length, centre, centre + 1
    return length, centre - scale // 2, centre + scale // 2


def scientific_matches(mangled: str, candidate: str) -> bool:
    """Whether the full digit string ``candidate`` could have been displayed as ``mangled``."""
    found = scientific_range(mangled)
    if found is None or not candidate.isdigit() or candidate.startswith("0"):
        return False
    length, low, high = found
    return len(candidate) == length and low <= int(candidate) < high


@lru_cache(maxsize=4096)  # pure, and amounts repeat (a Decimal is immutable, so it can be shared)
def parse_money(raw: str) -> Decimal:
    """Parse a non-negative amount like ``12.50``, ``¥1,299.00`` or ``$8``; empty is an error."""
    text = clean_code(raw).translate(_MONEY_SYMBOLS)
    if "," in text:
        if _GROUPED_MONEY_RE.fullmatch(text) is None:
            raise ValueError(f"not an amount: {raw!r}")
        text = text.replace(",", "")
    if _MONEY_RE.fullmatch(text) is None:
        raise ValueError(f"not an amount: {raw!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ValueError(f"not an amount: {raw!r}") from exc


def parse_money_or_zero(raw: str) -> Decimal:
    """Like ``parse_money`` but an empty cell means zero (shipping fees, optional totals)."""
    return parse_money(raw) if clean(raw) else Decimal("0")


def parse_quantity(raw: str) -> int:
    """Parse a whole quantity from 1 to ``MAX_QUANTITY``; ``2.0`` (Excel) is accepted as 2."""
    text = clean_code(raw)
    match = _INTEGRAL_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a whole quantity: {raw!r}")
    quantity = int(match.group(1))
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity out of range: {raw!r}")
    return quantity


@lru_cache(maxsize=8192)
def parse_datetime(raw: str, local_tz: tzinfo = SHANGHAI) -> datetime:
    """Parse a timestamp into an aware UTC datetime.

    Accepts ``2026-11-20 10:31:07``, ``2026/11/20 10:31``, ``2026年11月20日``, ISO ``T`` forms, an
    explicit offset (``+0800``, ``+08:00``, ``Z``) and Excel day serials (``46346.44``). Times without
    an offset are local times in ``local_tz`` (China for Chinese platforms).
    """
    text = clean(raw)
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        if _EXCEL_SERIAL_RE.fullmatch(text):
            naive = _EXCEL_EPOCH + timedelta(days=float(text))
            return naive.replace(microsecond=0, tzinfo=local_tz).astimezone(UTC)
        raise ValueError(f"not a date: {raw!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    naive = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    return naive.replace(tzinfo=_offset_zone(offset, local_tz)).astimezone(UTC)


def _offset_zone(offset: str | None, local_tz: tzinfo) -> tzinfo:
    if offset is None:
        return local_tz
    if offset in ("Z", "UTC"):
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    if minutes > 14 * 60:
        raise ValueError(f"offset out of range: {offset!r}")
    return timezone(sign * timedelta(minutes=minutes))
