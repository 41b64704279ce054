"""The layout as CSV: every bin of a warehouse exported, and an import that creates missing bins and
updates existing ones (type, capacity, active, x and y, whether the bin mixes lots of a SKU, and an
unused bin's barcode), each row all or
nothing, bad rows reported by line, column and reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from erp_core.db import atomic
from erp_core.exports import csv_bytes
from erp_core.extensions import db
from erp_core.fileimport import COMMON_REASONS, LIMIT_CODES, RowError, UnreadableFile, current_limits
from erp_core.fileimport.limits import check_cells, guarded_rows
from erp_core.inventory.models import Location
from erp_core.inventory.services import warehouse_root

from .layout import layout_spec, warehouse_geometry
from .services import (
    CODE_PATTERN,
    EDITABLE_BIN_TYPES,
    MAX_CAPACITY,
    bay_y,
    bin_has_moves,
    bin_position,
    bin_position_of_aisle,
    warehouse_or_404,
)

CSV_COLUMNS = ("code", "barcode", "zone", "aisle", "bay", "level", "bin_type", "capacity", "x", "y", "active",
               "mixed_lots")
HEADER_ALIASES = {
    "库位编码": "code", "库位": "code", "编码": "code", "条码": "barcode", "库区": "zone", "区": "zone",
    "巷道": "aisle", "列": "bay", "层": "level", "库位类型": "bin_type", "类型": "bin_type", "容量": "capacity",
    "启用": "active", "x坐标": "x", "y坐标": "y", "混批": "mixed_lots", "允许混批": "mixed_lots",
}
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "y", "是", "启用"}, {"0", "false", "no", "n", "否", "停用"}
#: Stable error codes of the bin import and their English reason (shown in the downloadable report).
IMPORT_REASONS = {
    "bad_encoding": "file is not UTF-8 or GBK/GB18030 text",
    "unreadable_file": COMMON_REASONS["unreadable_file"],
    **{code: COMMON_REASONS[code] for code in LIMIT_CODES},
    "empty_file": "file has no header row",
    "missing_column": "required column is missing",
    "missing_code": "bin code is empty",
    "bad_code": "code may hold letters, digits, . _ - (up to 40), starting with a letter or digit",
    "duplicate_in_file": "bin appears twice in the file; only the first row counts",
    "not_a_bin": "code belongs to a zone or aisle, not a bin",
    "bad_bin_type": "unknown bin type",
    "missing_bin_type": "a new bin outside the aisles needs a bin type",
    "bad_number": "not a valid non-negative number",
    "bad_capacity": "capacity must be a whole number from 1 to 1000000",
    "bad_active": "active must be 1/0, true/false or yes/no",
    "bad_mixed_lots": "mixed_lots must be 1/0, true/false or yes/no",
    "unknown_aisle": "no such aisle in the warehouse: aisles come from the layout form",
    "aisle_required": "a bin in a zone needs its aisle",
    "aisle_mismatch": "the bin is in another zone or aisle; bins cannot move between aisles by import",
    "missing_position": "a new aisle bin needs y, or a bay of a generated layout",
    "outside_aisle": "coordinates lie outside the bin's aisle",
    "code_locked": "stock has moved through this bin: its barcode cannot change",
    "barcode_taken": "barcode is used by another location",
    "conflict": "the database refused the row",
}


@dataclass
class BinImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # erp_core.fileimport.RowError


def bins_csv(warehouse_id: int) -> bytes:
    """Every bin of the warehouse as CSV (UTF-8 with BOM, CRLF): aisle bins in aisle order, then the rest."""
    rows = []
    bins = db.session.scalars(select(Location).options(joinedload(Location.parent).joinedload(Location.parent))
                              .filter_by(warehouse_id=warehouse_id, kind="bin")
                              .order_by(Location.aisle_no.is_(None), Location.aisle_no, Location.code))
    for b in bins:
        if b.bin_type == "tote":
            continue
        pos = bin_position(b)
        rows.append([b.code, b.barcode or "", pos.zone, pos.aisle, pos.bay or "", pos.level or "", b.bin_type,
                         "" if b.capacity is None else b.capacity, _num(b.x), _num(b.y), 1 if b.active else 0,
                         0 if b.mixed_lots is False else 1])
    return csv_bytes(CSV_COLUMNS, rows)


def _num(value: float | None) -> float | int | str:
    """A coordinate as a number (a negative one must not look like a formula to the export)."""
    return "" if value is None else (int(value) if float(value).is_integer() else value)


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


class _Row:
    """One CSV row being checked: parsed values and the errors found, pointing at their cells."""

    def __init__(self, file: str, line: int, cells: dict[str, str]):
        self.file, self.line, self.cells = file, line, cells
        self.errors: list[RowError] = []

    def fail(self, column: str, code: str) -> None:
        self.errors.append(RowError(self.file, self.line, column, code, IMPORT_REASONS[code],
                                    self.cells.get(column, "")))

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def number(self, column: str, *, whole: bool = False) -> float | int | None:
        raw = self.text(column)
        if not raw:
            return None
        try:
            value = int(raw) if whole else float(raw)
        except ValueError:
            value = -1
        if value < 0 or value != value or value in (float("inf"),):  # negative, NaN, inf
            self.fail(column, "bad_capacity" if column == "capacity" else "bad_number")
            return None
        return value


def import_bins_csv(warehouse_id: int, filename: str, data: bytes, *, dry_run: bool = False) -> BinImportResult:
    """Create missing bins and update type, capacity, active, x and y (and an unused bin's barcode) of
    existing ones. Each row is all or nothing; bad rows are reported by line, column and reason and
    good rows are applied (none when `dry_run`). One transaction; each row in its own savepoint."""
    result = BinImportResult()
    text = _decode(data)
    if text is None:
        result.errors.append(RowError(filename, None, "", "bad_encoding", IMPORT_REASONS["bad_encoding"]))
        return result
    reader = csv.reader(io.StringIO(text))
    try:  # the whole file within the upload limits (rows, cell length) before anything is written
        header = next(reader, None)
        records = list(guarded_rows(((reader.line_num, cells) for cells in reader), header or [], current_limits()))
        if header:
            check_cells(header, header, 1, current_limits())
    except UnreadableFile as error:
        result.errors.append(RowError(filename, error.line, error.column, error.code, IMPORT_REASONS[error.code],
                                      error.value))
        return result
    except csv.Error:
        result.errors.append(RowError(filename, None, "", "unreadable_file", IMPORT_REASONS["unreadable_file"]))
        return result
    if not header or not any(h.strip() for h in header):
        result.errors.append(RowError(filename, None, "", "empty_file", IMPORT_REASONS["empty_file"]))
        return result
    columns = [HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    if "code" not in columns:
        result.errors.append(RowError(filename, 1, "code", "missing_column", IMPORT_REASONS["missing_column"]))
        return result
    with atomic():
        ctx = _ImportContext(warehouse_id)
        seen: set[str] = set()
        for line, cells in records:
            if not any(c.strip() for c in cells):
                continue
            row = _Row(filename, line, dict(zip(columns, cells, strict=False)))
            change = ctx.check(row, seen)
            if row.errors:
                result.errors.extend(row.errors)
            elif change is None:
                result.unchanged += 1
            elif dry_run or ctx.apply(row, change):
                result.created += change[0] == "create"
                result.updated += change[0] == "update"
            else:
                result.errors.extend(row.errors)
    return result


class _ImportContext:
    """What the rows are checked against: the warehouse's locations, every barcode, the geometry."""

    def __init__(self, warehouse_id: int):
        self.wh = warehouse_or_404(warehouse_id)
        self.root = warehouse_root(warehouse_id)
        self.by_code = {loc.code: loc for loc in db.session.scalars(
            select(Location).options(joinedload(Location.parent).joinedload(Location.parent))
            .filter_by(warehouse_id=warehouse_id))}
        self.barcodes = set(db.session.scalars(select(Location.barcode).where(Location.barcode.is_not(None))))
        self.geometry = warehouse_geometry(warehouse_id)
        self.spec = layout_spec(warehouse_id)

    def _aisle(self, row: _Row) -> Location | None | bool:
        """The aisle a row names (False when it names none that exists, None when it names none)."""
        zone, aisle = row.text("zone").upper(), row.text("aisle").upper()
        if not aisle:
            if zone:
                row.fail("aisle", "aisle_required")
                return False
            return None
        if aisle.isdigit() and zone:
            aisle = f"{zone}{int(aisle):02d}"
        found = self.by_code.get(aisle)
        if found is None or found.kind != "aisle" or (zone and bin_position_of_aisle(found) != zone):
            row.fail("aisle", "unknown_aisle")
            return False
        return found

    def _check_place(self, row: _Row, aisle_no: int | None, x: float | None, y: float | None) -> None:
        if aisle_no is None or self.geometry is None or aisle_no not in self.geometry.aisle_xs:
            return
        if y is not None and not 0 < y < self.geometry.layout.aisle_length:
            row.fail("y", "outside_aisle")
        half = self.spec.aisle_spacing_m / 2 if self.spec else None
        if x is not None and half is not None and abs(x - self.geometry.aisle_xs[aisle_no]) > half:
            row.fail("x", "outside_aisle")

    def check(self, row: _Row, seen: set[str]) -> tuple | None:
        code = row.text("code")
        if not code:
            row.fail("code", "missing_code")
            return None
        if not CODE_PATTERN.match(code):
            row.fail("code", "bad_code")
            return None
        if code in seen:
            row.fail("code", "duplicate_in_file")
            return None
        seen.add(code)
        existing = self.by_code.get(code)
        if existing is not None and existing.kind != "bin":
            row.fail("code", "not_a_bin")
            return None
        values: dict = {}
        bin_type = row.text("bin_type").lower()
        if bin_type and bin_type not in EDITABLE_BIN_TYPES:
            row.fail("bin_type", "bad_bin_type")
        elif bin_type:
            values["bin_type"] = bin_type
        capacity = row.number("capacity", whole=True)
        if capacity is not None and not 0 < capacity <= MAX_CAPACITY:
            row.fail("capacity", "bad_capacity")
        elif capacity is not None:
            values["capacity"] = capacity
        for column in ("x", "y"):
            if (value := row.number(column)) is not None:
                values[column] = float(value)
        for column in ("bay", "level"):
            row.number(column, whole=True)
        if active := row.text("active").lower():
            if active not in TRUE_WORDS | FALSE_WORDS:
                row.fail("active", "bad_active")
            else:
                values["active"] = active in TRUE_WORDS
        if mixed := row.text("mixed_lots").lower():
            if mixed not in TRUE_WORDS | FALSE_WORDS:
                row.fail("mixed_lots", "bad_mixed_lots")
            else:
                values["mixed_lots"] = mixed in TRUE_WORDS
        barcode = row.text("barcode")
        if barcode and not CODE_PATTERN.match(barcode):
            row.fail("barcode", "bad_code")
            barcode = ""
        if existing is None:
            return self._check_new(row, code, barcode, values)
        return self._check_existing(row, existing, barcode, values)

    def _check_new(self, row: _Row, code: str, barcode: str, values: dict) -> tuple | None:
        aisle = self._aisle(row)
        barcode = barcode or f"{self.wh.code}-{code}"
        if barcode in self.barcodes:
            row.fail("barcode", "barcode_taken")
        if aisle is False:
            return None
        if aisle is None:
            if "bin_type" not in values:
                row.fail("bin_type", "missing_bin_type")
            parent = self.root
        else:
            parent = aisle
            values.setdefault("bin_type", "pick")
            values.setdefault("x", aisle.x)
            bay = row.number("bay", whole=True)
            if "y" not in values and bay and self.spec is not None:
                values["y"] = bay_y(self.spec, int(bay))
            if values.get("y") is None:
                row.fail("y", "missing_position")
            self._check_place(row, aisle.aisle_no, values.get("x"), values.get("y"))
        if row.errors:
            return None
        self.barcodes.add(barcode)
        return ("create", dict(values, code=code, barcode=barcode, parent=parent))

    def _check_existing(self, row: _Row, loc: Location, barcode: str, values: dict) -> tuple | None:
        pos = bin_position(loc)
        zone, aisle = row.text("zone").upper(), row.text("aisle").upper()
        if aisle.isdigit() and zone:
            aisle = f"{zone}{int(aisle):02d}"
        if (zone and zone != pos.zone) or (aisle and aisle != pos.aisle):
            row.fail("aisle" if aisle and aisle != pos.aisle else "zone", "aisle_mismatch")
        if barcode and barcode != loc.barcode:
            if bin_has_moves(loc.id):
                row.fail("barcode", "code_locked")
            elif barcode in self.barcodes:
                row.fail("barcode", "barcode_taken")
            else:
                values["barcode"] = barcode
        self._check_place(row, loc.aisle_no, values.get("x"), values.get("y"))
        if row.errors:
            return None
        changed = {k: v for k, v in values.items() if getattr(loc, k) != v}
        if not changed:
            return None
        if "barcode" in changed:
            self.barcodes.discard(loc.barcode)
            self.barcodes.add(changed["barcode"])
        return ("update", loc, changed)

    def apply(self, row: _Row, change: tuple) -> bool:
        try:
            with atomic():
                if change[0] == "create":
                    v = dict(change[1])
                    parent = v.pop("parent")
                    loc = Location(warehouse_id=self.wh.id, parent_id=parent.id, name=v["code"], usage="internal",
                                   kind="bin", aisle_no=parent.aisle_no if parent.kind == "aisle" else None,
                                   active=v.pop("active", True), **v)
                    db.session.add(loc)
                    db.session.flush()
                    self.by_code[loc.code] = loc
                else:
                    _kind, loc, changed = change
                    for key, value in changed.items():
                        setattr(loc, key, value)
                    db.session.flush()
        except IntegrityError:
            row.fail("code", "conflict")
            return False
        return True

