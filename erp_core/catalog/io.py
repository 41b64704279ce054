"""Catalog import and export: SKUs as rows of a CSV or XLSX file.

Columns: code, name, name_zh, barcodes (``|``-separated), unit, weight_g, length_mm, width_mm,
height_mm, cost, price, image_url, active, kit_components (``SKU-A*2|SKU-B*1``), and the lot set-up:
lot_tracked, shelf_life_days, min_receipt_life_days, min_ship_life_days (days; empty = no rule). Only ``code`` is
required; a column present in the file is written as it stands there (an empty cell clears the value),
a column left out keeps what the catalog has. Rows are upserted by code, each all or nothing; every
bad row is reported with file, line, column and reason. Export writes the same columns, so exporting
and importing the file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..db import atomic
from ..errors import DomainError
from ..exports import FORMULA_STARTS, csv_bytes, xlsx_bytes
from ..extensions import db
from ..fileimport import COMMON_REASONS, LIMIT_CODES, Columns, RowError, UnreadableFile, header_key, read_table
from ..fileimport.values import clean, clean_code, parse_money
from .barcodes import InvalidBarcode, parse_barcode
from .models import KitComponent, Sku
from .services import create_sku, kit_components_of, set_barcodes, set_kit_components, update_sku

CATALOG_COLUMNS = ("code", "name", "name_zh", "barcodes", "unit", "weight_g", "length_mm", "width_mm",
                   "height_mm", "cost", "price", "image_url", "active", "kit_components", "lot_tracked",
                   "shelf_life_days", "min_receipt_life_days", "min_ship_life_days")
_ALIASES = {
    "code": ("sku", "sku_code", "商家编码", "商品编码", "编码", "货号"),
    "name": ("name_en", "英文名称", "名称"),
    "name_zh": ("中文名称", "商品名称", "中文名"),
    "barcodes": ("barcode", "条码", "条形码"),
    "unit": ("单位",),
    "weight_g": ("weight", "重量", "重量(g)", "重量g"),
    "length_mm": ("length", "长", "长(mm)"),
    "width_mm": ("width", "宽", "宽(mm)"),
    "height_mm": ("height", "高", "高(mm)"),
    "cost": ("成本", "成本价"),
    "price": ("售价", "价格", "零售价"),
    "image_url": ("image", "图片", "图片链接"),
    "active": ("启用", "是否启用"),
    "kit_components": ("kit", "组合明细", "组件"),
    "lot_tracked": ("lot", "批次管理", "批次"),
    "shelf_life_days": ("shelf_life", "保质期", "保质期(天)"),
    "min_receipt_life_days": ("min_receipt_life", "入库最少剩余天数", "允收期"),
    "min_ship_life_days": ("min_ship_life", "出库最少剩余天数", "允发期"),
}
_LOOKUP = {header_key(alias): name for name, aliases in _ALIASES.items() for alias in (name, *aliases)}
_MAX_LENGTH = {"code": 64, "name": 200, "name_zh": 200, "unit": 12, "image_url": 500}
_WHOLE = ("weight_g", "length_mm", "width_mm", "height_mm")
_DAYS = ("shelf_life_days", "min_receipt_life_days", "min_ship_life_days")  # empty = no rule
_TRUE = {"true", "1", "yes", "y", "是", "启用"}
_FALSE = {"false", "0", "no", "n", "否", "停用"}
_FORMULA_STARTS = FORMULA_STARTS  # what the export prefixes with ' (and the import takes off again)

#: Stable error codes of the catalog import and their reasons (shown in the error report).
CATALOG_REASONS = {
    "unreadable_file": "file cannot be read as CSV or XLSX",
    "bad_encoding": "file is not UTF-8 or GBK/GB18030 text",
    "empty_file": "file has no header row",
    "missing_column": "required column is missing",
    "missing_code": "SKU code is empty",
    "missing_name": "a new SKU needs a name",
    "too_long": "value is too long",
    "bad_whole_number": "not a whole number of 0 or more",
    "bad_number": "not a valid non-negative amount",
    "bad_flag": "not one of true, false, 1, 0, yes, no",
    "bad_url": "image link must start with http:// or https://",
    "bad_kit_component": "kit components are written CODE*QUANTITY, separated by |",
    "duplicate_code_in_file": "SKU code appears on an earlier row of the file",
    **{code: COMMON_REASONS[code] for code in LIMIT_CODES},
}
# Where a service's refusal points in the row.
_ERROR_COLUMNS = {"invalid_barcode": "barcodes", "barcode_taken": "barcodes", "sku_incomplete": "name",
                  "negative_value": "", "unknown_sku": "kit_components", "kit_in_kit": "kit_components",
                  "kit_contains_itself": "kit_components", "component_cannot_be_kit": "kit_components",
                  "duplicate_component": "kit_components", "bad_quantity": "kit_components",
                  "lot_tracking_stock_on_hand": "lot_tracked", "bad_life_days": "", "min_life_over_shelf_life": ""}


@dataclass
class SkuRow:
    """One row of a catalog file: the values of the columns the file has (already parsed)."""

    file: str
    line: int
    code: str
    headers: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)
    barcodes: list[str] | None = None
    kit: list[tuple[str, int]] | None = None
    errors: list[RowError] = field(default_factory=list)

    def fail(self, column: str, code: str, value: str = "", reason: str | None = None) -> None:
        self.errors.append(RowError(self.file, self.line, self.headers.get(column, column), code,
                                    reason or CATALOG_REASONS[code], value))


@dataclass
class CatalogImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _text(raw: str) -> str:
    """A text cell; the apostrophe our export puts before formula-like text is taken off again."""
    text = clean(raw)
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text


def _parse_cell(row: SkuRow, name: str, raw: str) -> None:
    text = _text(raw)
    if name in _MAX_LENGTH and len(text) > _MAX_LENGTH[name]:
        row.fail(name, "too_long", text[:80])
    elif name in ("name", "name_zh", "unit", "image_url"):
        if name == "image_url" and text and not text.lower().startswith(("http://", "https://")):
            row.fail(name, "bad_url", text)
        elif name == "name" and not text:
            row.fail(name, "missing_name")
        else:
            row.values[name] = text or ("pcs" if name == "unit" else "")
    elif name in _WHOLE:
        number = text or "0"
        whole = number[:-2] if number.endswith(".0") else number
        if not whole.isdigit():
            row.fail(name, "bad_whole_number", text)
        else:
            row.values[name] = int(whole)
    elif name in ("cost", "price"):
        try:
            row.values[name] = parse_money(text or "0").quantize(Decimal("0.01"), ROUND_HALF_UP)
        except ValueError:
            row.fail(name, "bad_number", text)
    elif name in _DAYS:
        whole = text[:-2] if text.endswith(".0") else text
        if whole and not whole.isdigit():
            row.fail(name, "bad_whole_number", text)
        else:
            row.values[name] = int(whole) if whole else None
    elif name in ("active", "lot_tracked"):
        flag = text.lower() or ("true" if name == "active" else "false")
        if flag not in _TRUE | _FALSE:
            row.fail(name, "bad_flag", text)
        else:
            row.values[name] = flag in _TRUE
    elif name == "barcodes":
        row.barcodes = []
        for code in (clean_code(part) for part in text.split("|")):
            if not code:
                continue
            try:
                row.barcodes.append(parse_barcode(code).code)
            except InvalidBarcode as error:
                row.fail(name, "invalid_barcode", code, error.reason)
    elif name == "kit_components":
        row.kit = []
        for part in (p.strip() for p in text.split("|")):
            if not part:
                continue
            code, _, quantity = part.rpartition("*") if "*" in part else (part, "", "1")
            if not clean_code(code) or not quantity.strip().isdigit() or int(quantity) <= 0:
                row.fail(name, "bad_kit_component", part)
            else:
                row.kit.append((clean_code(code), int(quantity)))


def read_catalog(name: str, data: bytes) -> tuple[list[SkuRow], list[RowError]]:
    """Parse a catalog file into rows (with their own errors) and file-level errors. No database."""
    try:
        table = read_table(name, data)
        columns = Columns.resolve(table.header, _LOOKUP)
        if not columns.has("code"):
            return [], [RowError(name, table.header_line, "code", "missing_column",
                                 CATALOG_REASONS["missing_column"])]
        headers = {field_name: columns.header(field_name) for field_name in columns.found}
        rows: list[SkuRow] = []
        seen: set[str] = set()
        for line, cells in table.rows:
            if not any(cell.strip() for cell in cells):
                continue
            row = SkuRow(name, line, clean_code(columns.get(cells, "code")), headers)
            if not row.code:
                row.fail("code", "missing_code")
            elif len(row.code) > _MAX_LENGTH["code"]:
                row.fail("code", "too_long", row.code[:80])
            elif row.code in seen:
                row.fail("code", "duplicate_code_in_file", row.code)
            seen.add(row.code)
            for field_name, (index, _header) in columns.found.items():
                if field_name != "code":
                    _parse_cell(row, field_name, cells[index] if index < len(cells) else "")
            rows.append(row)
    except UnreadableFile as problem:
        return [], [RowError(name, problem.line, problem.column, problem.code, CATALOG_REASONS[problem.code],
                             problem.value)]
    return rows, []


def _kit_of(sku: Sku) -> dict[str, int]:
    return {c.component.code: c.quantity for c in kit_components_of(sku)}


def _upsert(row: SkuRow) -> str:
    """Create or update one SKU from a row; returns created, updated or unchanged."""
    sku = db.session.scalar(select(Sku).filter_by(code=row.code))
    values = dict(row.values)
    if sku is None:
        if "name" not in values:
            row.fail("name", "missing_name")
            raise _RowRejected
        sku = create_sku(row.code, str(values.pop("name")))
        outcome = "created"
    else:
        outcome = "unchanged"
    if update_sku(sku, **values):
        outcome = "updated" if outcome == "unchanged" else outcome
    if row.barcodes is not None and set_barcodes(sku, row.barcodes):
        outcome = "updated" if outcome == "unchanged" else outcome
    if row.kit is not None and dict(row.kit) != _kit_of(sku):
        set_kit_components(sku.code, row.kit)
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


class _RowRejected(Exception):
    """The row's own error is recorded; undo what the row changed."""


def import_catalog(name: str, data: bytes, *, chunk_size: int = 200) -> CatalogImportReport:
    """Upsert the SKUs of a catalog file by code; each row all or nothing (each row a nested atomic(): a savepoint).

    Rows without kit components go first, so a kit can name components defined further down."""
    rows, errors = read_catalog(name, data)
    report = CatalogImportReport(errors=errors)
    good = [row for row in rows if not row.errors]
    report.errors.extend(error for row in rows for error in row.errors)
    ordered = [r for r in good if not r.kit] + [r for r in good if r.kit]
    for start in range(0, len(ordered), chunk_size):
        with atomic():
            for row in ordered[start:start + chunk_size]:
                try:
                    with atomic():
                        outcome = _upsert(row)
                except _RowRejected:
                    report.errors.extend(row.errors)
                    continue
                except DomainError as error:
                    value = error.details.get("barcode") or error.details.get("component") or ""
                    column = _ERROR_COLUMNS.get(error.code, "") or str(error.details.get("field", ""))
                    row.fail(column, error.code, str(value or error.details.get("days", "")), error.message)
                    report.errors.extend(row.errors)
                    continue
                except SQLAlchemyError as error:
                    row.fail("", "database_error", "", f"the database refused the row: "
                                                        f"{type(getattr(error, 'orig', error)).__name__}")
                    report.errors.extend(row.errors)
                    continue
                getattr(report, outcome).append(row.code)
    report.errors.sort(key=lambda e: (e.file, e.line or 0))
    return report


# --- export --------------------------------------------------------------------------------------

def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _days(value: int | None) -> object:
    return "" if value is None else value


def export_rows(*, with_cost: bool = True) -> Iterator[list[object]]:
    """The header, then one row per SKU by code, in the import's columns; without `cost` for a reader
    who may not see cost prices (re-imported, a file without the column keeps the catalogue's costs)."""
    keep = [i for i, name in enumerate(CATALOG_COLUMNS) if with_cost or name != "cost"]
    yield [CATALOG_COLUMNS[i] for i in keep]
    for row in _export_rows():
        yield [row[i] for i in keep]


def _export_rows() -> Iterator[list[object]]:
    kits: dict[int, list[str]] = {}
    for component in db.session.scalars(select(KitComponent).join(KitComponent.component).order_by(Sku.code)):
        kits.setdefault(component.kit_sku_id, []).append(f"{component.component.code}*{component.quantity}")
    for sku in db.session.scalars(select(Sku).order_by(Sku.code)):
        barcodes = "|".join(b.code for b in sorted(sku.barcodes, key=lambda b: b.id))
        yield [sku.code, sku.name, sku.name_zh, barcodes, sku.unit, sku.weight_g, sku.length_mm, sku.width_mm,
               sku.height_mm, _money(sku.cost), _money(sku.price), sku.image_url,
               "true" if sku.active else "false", "|".join(kits.get(sku.id, [])),
               "true" if sku.lot_tracked else "false", _days(sku.shelf_life_days), _days(sku.min_receipt_life_days),
               _days(sku.min_ship_life_days)]


def export_csv(*, with_cost: bool = True) -> bytes:
    """The catalog as CSV: UTF-8 with a BOM, CRLF; formula-like text made inert for Excel."""
    return csv_bytes(None, export_rows(with_cost=with_cost))


def export_xlsx(*, with_cost: bool = True) -> bytes:
    """The catalog as an XLSX sheet; every text cell is stored as text (never a formula or number)."""
    return xlsx_bytes("SKUs", None, export_rows(with_cost=with_cost))
