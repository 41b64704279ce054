"""Group the rows of a one-row-per-line export into order drafts, all-or-nothing per order.

Used by the template and Shopify parsers. A ``Draft`` collects the order-level cells (from whichever
row first carries them), the parsed lines and every error of its rows; an order with any error is
rejected whole, and the other orders of the file still come through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal

from erp_core.channels.importers.model import ParsedLine, RowError, row_error
from erp_core.channels.importers.values import (
    clean,
    clean_code,
    is_scientific,
    parse_datetime,
    parse_money,
    parse_money_or_zero,
    parse_quantity,
)

_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


def header_key(text: str) -> str:
    """Normalise a header for lookup: trimmed, lower case, spaces and hyphens as underscores."""
    return _HEADER_SEPARATORS.sub("_", clean(text).lower())


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field is in a file: ``field -> (index, header as written)``."""

    found: Mapping[str, tuple[int, str]]

    @classmethod
    def resolve(cls, header: Sequence[str], aliases: Mapping[str, str]) -> Columns:
        """Map header cells to fields through ``aliases`` (normalised header -> field); first wins."""
        found: dict[str, tuple[int, str]] = {}
        for index, text in enumerate(header):
            name = aliases.get(header_key(text))
            if name is not None and name not in found:
                found[name] = (index, clean(text))
        return cls(found)

    def has(self, name: str) -> bool:
        """Whether the file has a column for ``name``."""
        return name in self.found

    def header(self, name: str, default: str | None = None) -> str:
        """The column's header as written in the file (or ``default``/``name`` when absent)."""
        found = self.found.get(name)
        if found is not None:
            return found[1]
        return name if default is None else default

    def get(self, cells: Sequence[str], name: str) -> str:
        """The trimmed cell of ``name`` in a row, or ``""``."""
        found = self.found.get(name)
        if found is None or found[0] >= len(cells):
            return ""
        return clean(cells[found[0]])

    def missing(self, required: Sequence[str]) -> list[str]:
        """The required fields that have no column."""
        return [name for name in required if name not in self.found]


@dataclass(slots=True)
class Cell:
    """An order-level value with the place it came from, so errors can point at it."""

    value: str
    line: int
    column: str
    raw: str = ""


@dataclass(slots=True)
class Draft:
    """An order being assembled from rows; rejected when ``errors`` is not empty."""

    key: str
    file: str
    first_line: int
    fields: dict[str, Cell] = field(default_factory=dict)
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_lines: int = 0

    def text(self, name: str) -> str:
        """The order-level value of ``name`` or ``""``."""
        found = self.fields.get(name)
        return found.value if found is not None else ""

    def fail(self, line: int | None, column: str, code: str, value: str = "") -> None:
        """Record an error that rejects this order."""
        self.errors.append(row_error(self.file, line, column, code, value))

    def where(self, name: str, columns: Columns) -> tuple[int, str]:
        """Line and column to blame for the order-level field ``name``."""
        found = self.fields.get(name)
        if found is not None:
            return found.line, found.column
        return self.first_line, columns.header(name)

    def money(self, name: str, columns: Columns, *, required: bool = False) -> Decimal:
        """An order-level amount; empty is zero unless ``required``. Errors are recorded."""
        raw = self.text(name)
        try:
            return parse_money(raw) if required else parse_money_or_zero(raw)
        except ValueError:
            self.fail(*self.where(name, columns), "bad_number", raw)
            return Decimal("0")

    def moment(self, name: str, columns: Columns, tz: tzinfo, *, required: bool = False
               ) -> datetime | None:
        """An order-level timestamp in UTC, or None when empty and not ``required``."""
        raw = self.text(name)
        if not raw and not required:
            return None
        try:
            return parse_datetime(raw, tz)
        except ValueError:
            self.fail(*self.where(name, columns), "bad_date", raw)
            return None

    def require(self, name: str, columns: Columns, code: str) -> str:
        """An order-level value that must not be empty; records ``code`` when it is."""
        value = self.text(name)
        if not value:
            self.fail(*self.where(name, columns), code)
        return value


class DraftCollector:
    """Turns rows into drafts: contiguous rows with the same order number form one order.

    An order number that comes back after other orders (a second block) is ``duplicate_order_in_file``
    and rejects the order: a split order and a pasted copy look the same, and guessing wrong would
    silently drop or double lines. With ``blank_key_continues``, a row with an empty order number
    continues the order above it (merged cells in Excel).
    """

    def __init__(self, file: str, columns: Columns, order_fields: Sequence[str], *,
                 key_field: str = "external_id", blank_key_continues: bool = False) -> None:
        self.file = file
        self.columns = columns
        self.drafts: list[Draft] = []
        self.errors: list[RowError] = []
        self._key_field = key_field
        self._blank_key_continues = blank_key_continues
        self._order_fields = [
            (name, *columns.found[name]) for name in order_fields if columns.has(name) and name != key_field
        ]
        self._by_key: dict[str, Draft] = {}
        self._current: Draft | None = None

    def add(self, line: int, cells: list[str]) -> Draft | None:
        """Attach a row to its order; returns the draft, or None for blank or unattributable rows."""
        key = clean_code(self.columns.get(cells, self._key_field))
        if not key:
            if not any(cell.strip() for cell in cells):
                self._current = None
                return None
            if self._blank_key_continues and self._current is not None:
                draft = self._current
            else:
                self.errors.append(row_error(self.file, line, self.columns.header(self._key_field),
                                             "missing_order_number"))
                return None
        elif self._current is not None and key == self._current.key:
            draft = self._current
        elif key in self._by_key:
            draft = self._by_key[key]
            draft.fail(line, self.columns.header(self._key_field), "duplicate_order_in_file", key)
        else:
            draft = Draft(key=key, file=self.file, first_line=line)
            self._by_key[key] = draft
            self.drafts.append(draft)
            if is_scientific(key):  # Excel rounded it: the real order number is unknown
                draft.fail(line, self.columns.header(self._key_field), "mangled_order_number", key)
        self._current = draft
        self._merge(draft, line, cells)
        return draft

    def _merge(self, draft: Draft, line: int, cells: list[str]) -> None:
        width = len(cells)
        fields = draft.fields
        for name, index, column in self._order_fields:
            if index >= width or not (raw := cells[index]):
                continue
            known = fields.get(name)
            if known is not None and raw == known.raw:  # the usual repeated cell: nothing to do
                continue
            value = clean(raw)
            if not value:
                continue
            if known is None:
                fields[name] = Cell(value, line, column, raw)
            elif known.value != value:
                draft.fail(line, column, "conflicting_order_value", value)


def read_line(draft: Draft, line: int, cells: list[str], columns: Columns,
              known_sku: Callable[[str], bool] | None) -> None:
    """Parse the ``sku``/``quantity``/``unit_price``/``title`` cells of a row into a ``ParsedLine``."""
    sku = clean_code(columns.get(cells, "sku"))
    raw_quantity = columns.get(cells, "quantity")
    raw_price = columns.get(cells, "unit_price")
    errors_before = len(draft.errors)
    if not sku:
        draft.fail(line, columns.header("sku"), "missing_sku")
    elif known_sku is not None and not known_sku(sku):
        draft.fail(line, columns.header("sku"), "unknown_sku", sku)
    try:
        quantity = parse_quantity(raw_quantity)
    except ValueError:
        draft.fail(line, columns.header("quantity"), "bad_quantity", raw_quantity)
    try:
        price = parse_money(raw_price)
    except ValueError:
        draft.fail(line, columns.header("unit_price"), "bad_number", raw_price)
    if len(draft.errors) == errors_before:
        draft.lines.append(ParsedLine(sku, quantity, price, columns.get(cells, "title"), line, draft.file))


def lines_total(lines: Sequence[ParsedLine]) -> Decimal:
    """Sum of quantity x unit price."""
    return sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
