"""Check rules of carriers' tracking numbers (pure: no Flask, no database).

A carrier's `check_rule` names one of RULES. A pool import validates every number with it, and a
range (prefix + start..end + suffix) can have each number's check digit computed by it.

- `none`: carriers that publish no rule (most Chinese express carriers: 中通, 圆通, 韵达, 申通, 顺丰);
  only the characters are checked (A-Z, 0-9, 6 to 40 of them).
- `s10`: UPU S10 (EMS, China Post international, every postal operator): two service letters, an
  8-digit serial, a check digit, a two-letter ISO country code, e.g. ``EA123456785CN``. The check digit
  weighs the serial's digits 8, 6, 4, 2, 3, 5, 9, 7; C = 11 - (S mod 11), 10 -> 0, 11 -> 5.
- `ups_1z`: UPS ``1Z`` numbers: 16 characters after ``1Z`` (letters count as (ord - ord('A') + 2) mod 10),
  the last a check digit: odd positions + 2 x even positions, C = (10 - S mod 10) mod 10.
- `luhn`: the Luhn mod-10 over every digit (python-stdnum's `luhn`), used by some regional carriers.
- `gs1_mod10`: the GS1 mod-10 (weights 3, 1 from the right; python-stdnum's `ean`), e.g. USPS IMpb
  numbers and GS1 SSCC-based parcel numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import ean, luhn

RULES = ("none", "s10", "ups_1z", "luhn", "gs1_mod10")
MAX_RANGE = 100_000  # one import; a carrier's range is thousands, not millions

_CHARS = re.compile(r"^[A-Z0-9]{6,40}$")
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


class BadRange(ValueError):
    """A range that cannot be expanded; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise(number: str) -> str:
    """The number as carriers print it: no spaces, upper case."""
    return "".join(number.split()).upper()


def s10_check_digit(serial: str) -> str:
    """The UPU S10 check digit of an 8-digit serial number."""
    if not re.fullmatch(r"\d{8}", serial):
        raise ValueError("an S10 serial number has 8 digits")
    c = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return "0" if c == 10 else "5" if c == 11 else str(c)


def _ups_value(char: str) -> int:
    return int(char) if char.isdigit() else (ord(char) - ord("A") + 2) % 10


def ups_check_digit(body: str) -> str:
    """The check digit of the 15 characters after ``1Z`` (shipper number, service, package)."""
    if not re.fullmatch(r"[A-Z0-9]{15}", body):
        raise ValueError("a UPS 1Z number has 15 characters before its check digit")
    values = [_ups_value(c) for c in body]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return str((10 - total % 10) % 10)


def invalid_reason(rule: str, number: str) -> str | None:
    """Why the number breaks the rule (a stable code), or None when it is good."""
    if rule not in RULES and rule:
        return "unknown_rule"
    if not _CHARS.match(number):
        return "bad_characters"
    if rule in ("", "none"):
        return None
    if rule == "s10":
        found = _S10.match(number)
        if not found:
            return "bad_format"
        return None if s10_check_digit(found.group(2)) == found.group(3) else "bad_check_digit"
    if rule == "ups_1z":
        if not re.fullmatch(r"1Z[A-Z0-9]{16}", number):
            return "bad_format"
        return None if ups_check_digit(number[2:17]) == number[17] else "bad_check_digit"
    if not number.isdigit():
        return "bad_format"
    valid = luhn.is_valid(number) if rule == "luhn" else ean.calc_check_digit(number[:-1]) == number[-1]
    return None if valid else "bad_check_digit"


def with_check_digit(rule: str, body: str, suffix: str = "") -> str:
    """The full number from its body (prefix + serial): the rule's check digit appended, then the
    suffix (an S10 number's country code comes after its check digit)."""
    if rule == "s10":
        if not re.fullmatch(r"[A-Z]{2}\d{8}", body):
            raise BadRange("bad_format")
        return body + s10_check_digit(body[2:]) + suffix
    if rule == "ups_1z":
        if not re.fullmatch(r"1Z[A-Z0-9]{15}", body):
            raise BadRange("bad_format")
        return body + ups_check_digit(body[2:]) + suffix
    if rule in ("luhn", "gs1_mod10"):
        if not body.isdigit():
            raise BadRange("bad_format")
        return body + (luhn.calc_check_digit(body) if rule == "luhn" else ean.calc_check_digit(body)) + suffix
    raise BadRange("rule_has_no_check_digit")


@dataclass(frozen=True)
class NumberRange:
    """A range the carrier issued: prefix + serial (zero-padded to the start's width) [+ check digit] + suffix."""

    prefix: str
    start: str
    end: str
    suffix: str = ""
    add_check_digit: bool = False

    def numbers(self, rule: str) -> list[str]:
        """Every number of the range, in order; BadRange for an empty, reversed or too large range."""
        start, end = self.start.strip(), self.end.strip()
        if not (start.isdigit() and end.isdigit()):
            raise BadRange("range_not_digits")
        first, last = int(start), int(end)
        if last < first:
            raise BadRange("range_reversed")
        if last - first + 1 > MAX_RANGE:
            raise BadRange("range_too_large")
        width = len(start)
        if len(str(last)) > width:
            raise BadRange("range_wider_than_start")
        prefix, suffix = normalise(self.prefix), normalise(self.suffix)
        bodies = (f"{prefix}{n:0{width}d}" for n in range(first, last + 1))
        if self.add_check_digit:
            return [with_check_digit(rule, body, suffix) for body in bodies]
        return [body + suffix for body in bodies]


def parse_list(text: str) -> list[tuple[int, str]]:
    """(line number, number) of a pasted or uploaded list: one number a line, blank lines skipped;
    a CSV's first column is taken (a header line that is not a number is checked like any other)."""
    found = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        cell = raw.split(",")[0].split(";")[0].split("\t")[0].strip().strip('"')
        if cell:
            found.append((line_no, normalise(cell)))
    return found
