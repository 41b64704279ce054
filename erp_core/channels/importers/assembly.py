"""Group the rows of a one-row-per-line export into order drafts, all-or-nothing per order.

Used by the template and Shopify parsers. A ``Draft`` collects the order-level cells (from whichever
row first carries them), the parsed lines and every error of its rows; an order with any error is
rejected whole, and the other orders of the file still come through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from itertools import repeat
from operator import itemgetter

from erp_core.channels.importers.model import ParsedLine, order_error
from erp_core.fileimport.columns import Columns
from erp_core.fileimport.errors import RowError
from erp_core.fileimport.values import (
    STRIP_CHARS,
    clean,
    clean_code,
    is_scientific,
    parse_datetime,
    parse_money,
    parse_quantity,
)

_ZERO = Decimal("0")


@dataclass(slots=True)
class Draft:
    """An order being assembled from rows; rejected when ``errors`` is not empty.

    ``values`` holds the order-level values found (trimmed) by field name: ``""`` (or no entry) while a
    field has none, so ``text`` reads both alike; ``raws`` the cell each was read from (and, for the
    first row, its empty order-level cells too); ``origins`` the line of each value that did not come
    from the order's first line, so errors can point at it. A value's column is its field's column.
    """

    key: str
    file: str
    first_line: int
    values: dict[str, str] = field(default_factory=dict)
    raws: dict[str, str] = field(default_factory=dict)
    origins: dict[str, int] = field(default_factory=dict)
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_lines: int = 0

    def text(self, name: str) -> str:
        """The order-level value of ``name`` or ``""``."""
        return self.values.get(name, "")

    def put(self, name: str, value: str, line: int, raw: str = "") -> None:
        """Record the order-level value of ``name``, read from ``raw`` on ``line``."""
        self.values[name] = value
        self.raws[name] = raw
        if line != self.first_line:
            self.origins[name] = line

    def fail(self, line: int | None, column: str, code: str, value: str = "") -> None:
        """Record an error that rejects this order."""
        self.errors.append(order_error(self.file, line, column, code, value))

    def where(self, name: str, columns: Columns) -> tuple[int, str]:
        """Line and column to blame for the order-level field ``name``."""
        return self.origins.get(name, self.first_line), columns.header(name)

    def money(self, name: str, columns: Columns, *, required: bool = False) -> Decimal:
        """An order-level amount; empty is zero unless ``required``. Errors are recorded."""
        raw = self.values.get(name, "")  # trimmed already
        if not raw and not required:
            return _ZERO
        try:
            return parse_money(raw)
        except ValueError:
            self.fail(*self.where(name, columns), "bad_number", raw)
            return _ZERO

    def moment(self, name: str, columns: Columns, tz: tzinfo, *, required: bool = False
               ) -> datetime | None:
        """An order-level timestamp in UTC, or None when empty and not ``required``."""
        raw = self.values.get(name, "")
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
        found_key = columns.found.get(key_field)
        self._key_index = found_key[0] if found_key is not None else None
        self._last_raw_key: str | None = None
        self._last_key = ""
        # The order-level cells of a row, picked in one call, to tell a repeated row from a new one.
        names = [name for name, _, _ in self._order_fields]
        indices = [index for _, index, _ in self._order_fields]
        self._names = names if len(set(names)) == len(names) else None
        self._pick = (itemgetter(*indices) if len(indices) > 1
                      else (lambda cells: (cells[indices[0]],)) if indices else None)
        self._pick_width = max(indices) + 1 if indices else 0
        self._merged_draft: Draft | None = None
        self._merged_cells: tuple[str, ...] | None = None

    def add(self, line: int, cells: list[str]) -> Draft | None:
        """Attach a row to its order; returns the draft, or None for blank or unattributable rows."""
        key = self._key(cells)
        if not key:
            if not any(cell.strip() for cell in cells):
                self._current = None
                return None
            if self._blank_key_continues and self._current is not None:
                draft = self._current
            else:
                self.errors.append(order_error(self.file, line, self.columns.header(self._key_field),
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
        self._merge_row(draft, line, cells)
        return draft

    def _key(self, cells: list[str]) -> str:
        """The row's order number; the usual row repeats the one above, which is not cleaned again."""
        index = self._key_index
        raw = cells[index] if index is not None and index < len(cells) else ""
        if raw != self._last_raw_key:
            self._last_raw_key, self._last_key = raw, clean_code(raw)
        return self._last_key

    def _merge_row(self, draft: Draft, line: int, cells: list[str]) -> None:
        """Merge a row's order-level cells, skipping a row whose cells are all those of the row merged
        just before into the same order without a conflict: merging it again would change nothing and
        find nothing (an order's values only change by merging)."""
        if self._pick is None:
            return
        if len(cells) < self._pick_width:  # a short row: cells past its end count as empty
            self._merged_draft = None
            self._merge(draft, line, cells)
            return
        picked = self._pick(cells)
        if draft is self._merged_draft and picked == self._merged_cells:
            return
        if not draft.values and line == draft.first_line and self._names is not None:
            # The order's first row: nothing to compare with, and every value comes from this line.
            # ``raws`` keeps every order-level cell of the row, empty or not, for later comparison.
            names = self._names
            draft.raws = dict(zip(names, picked, strict=True))
            draft.values = dict(zip(names, map(str.strip, picked, repeat(STRIP_CHARS)), strict=True))
            self._merged_draft, self._merged_cells = draft, picked
            return
        errors_before = len(draft.errors)
        self._merge(draft, line, cells)
        clean_merge = len(draft.errors) == errors_before
        self._merged_draft, self._merged_cells = (draft, picked) if clean_merge else (None, None)

    def _merge(self, draft: Draft, line: int, cells: list[str]) -> None:
        width = len(cells)
        values, raws = draft.values, draft.raws
        for name, index, column in self._order_fields:
            if index >= width or not (raw := cells[index]):
                continue
            known = values.get(name)
            if known is not None and raw == raws[name]:  # the usual repeated cell: nothing to do
                continue
            value = raw.strip(STRIP_CHARS)
            if not value:
                continue
            if not known:  # none yet (no entry, or the first row's cell was empty)
                draft.put(name, value, line, raw)
            elif known != value:
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


class LineReader:
    """``read_line`` for every row of one file, remembering the cells it has already read.

    The same SKUs, quantities and prices recur all through a file, and reading a cell is pure, so
    each distinct cell text is cleaned and parsed once. Only cells that read without error are
    remembered: a row with any bad line cell goes through ``read_line`` to report exactly what it
    reports. With a SKU predicate rather than a set, every row goes through ``read_line`` (the
    predicate is asked about every row, once, as it always was).
    """

    CACHE_LIMIT = 100_000  # distinct texts per column before a cache starts again

    def __init__(self, columns: Columns, known_sku: Callable[[str], bool] | None) -> None:
        self.columns = columns
        self.known_sku = known_sku
        set_check = known_sku is None or isinstance(getattr(known_sku, "__self__", None), set | frozenset)
        places = [columns.found.get(name) for name in ("sku", "quantity", "unit_price")]
        # With a predicate, or a column missing, every row goes through ``read_line`` as it is.
        self._places = (tuple(found[0] for found in places)  # type: ignore[index]
                        if set_check and None not in places else None)
        self._width = max(self._places) + 1 if self._places else 0
        title = columns.found.get("title")
        self._title = title[0] if title is not None else None
        self._skus: dict[str, str] = {}
        self._quantities: dict[str, int] = {}
        self._prices: dict[str, Decimal] = {}

    def read(self, draft: Draft, line: int, cells: list[str]) -> None:
        """Add the row's ``ParsedLine`` to ``draft``, or record the row's errors as ``read_line`` does."""
        places = self._places
        if places is None or len(cells) < self._width:
            read_line(draft, line, cells, self.columns, self.known_sku)
            return
        raw_sku, raw_quantity, raw_price = cells[places[0]], cells[places[1]], cells[places[2]]
        sku = self._skus.get(raw_sku)
        if sku is None and (sku := self._read_sku(raw_sku)) is None:
            read_line(draft, line, cells, self.columns, self.known_sku)
            return
        quantity = self._quantities.get(raw_quantity)
        if quantity is None and (quantity := self._read_quantity(raw_quantity)) is None:
            read_line(draft, line, cells, self.columns, self.known_sku)
            return
        price = self._prices.get(raw_price)
        if price is None and (price := self._read_price(raw_price)) is None:
            read_line(draft, line, cells, self.columns, self.known_sku)
            return
        title = self._title
        text = cells[title].strip(STRIP_CHARS) if title is not None and title < len(cells) else ""
        draft.lines.append(ParsedLine(sku, quantity, price, text, line, draft.file))

    def _read_sku(self, raw: str) -> str | None:
        sku = clean_code(raw)
        if not sku or (self.known_sku is not None and not self.known_sku(sku)):
            return None
        _remember(self._skus, raw, sku)
        return sku

    def _read_quantity(self, raw: str) -> int | None:
        try:
            quantity = parse_quantity(clean(raw))
        except ValueError:
            return None
        _remember(self._quantities, raw, quantity)
        return quantity

    def _read_price(self, raw: str) -> Decimal | None:
        try:
            price = parse_money(clean(raw))
        except ValueError:
            return None
        _remember(self._prices, raw, price)
        return price


def _remember(cache: dict, raw: str, value: object) -> None:
    if len(cache) >= LineReader.CACHE_LIMIT:
        cache.clear()
    cache[raw] = value


def lines_total(lines: Sequence[ParsedLine]) -> Decimal:
    """Sum of quantity x unit price."""
    total = _ZERO
    for line in lines:
        total += line.unit_price * line.quantity
    return total
