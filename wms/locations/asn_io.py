"""ASN import from CSV (or XLSX): one row per line, several rows per ASN, all or nothing per ASN.

Columns (English or Chinese headers): reference, warehouse, supplier, expected_at, sku, quantity;
supplier and expected_at may be left out. `parse_asn_file` is pure (bytes in, parsed ASNs and row
errors out); `import_asn_file` checks warehouses, SKUs and references against the database and
creates each good ASN in its own transaction. Errors point at file, line and column with a stable
code, and `errors_to_csv` (erp_core.fileimport) turns them into the downloadable report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from erp_core.fileimport import COMMON_REASONS, LIMIT_CODES, Columns, RowError, UnreadableFile, read_table, row_error
from erp_core.fileimport.values import SHANGHAI, clean, clean_code, parse_datetime, parse_quantity

COLUMNS = ("reference", "warehouse", "supplier", "expected_at", "sku", "quantity")
REQUIRED = ("reference", "warehouse", "sku", "quantity")
ALIASES = {
    "reference": "reference", "asn": "reference", "asn_reference": "reference", "参考号": "reference",
    "到货通知单号": "reference", "入库单号": "reference",
    "warehouse": "warehouse", "仓库": "warehouse", "仓库编码": "warehouse",
    "supplier": "supplier", "供应商": "supplier",
    "expected_at": "expected_at", "expected": "expected_at", "expected_date": "expected_at", "预计到货": "expected_at",
    "预计到货时间": "expected_at",
    "sku": "sku", "商品编码": "sku", "sku编码": "sku",
    "quantity": "quantity", "qty": "quantity", "数量": "quantity", "预计数量": "quantity",
}
ASN_FIELDS = ("warehouse", "supplier", "expected_at")  # must agree on every row of one ASN

#: Stable codes and their reasons (shown in the error report; change them with the docs).
ASN_REASONS: dict[str, str] = {
    **{code: COMMON_REASONS[code] for code in ("bad_encoding", "unreadable_file", "empty_file",
                                               "missing_column", "missing_sku", "unknown_sku", "bad_quantity",
                                               "bad_date", *LIMIT_CODES)},
    "missing_reference": "ASN reference is empty",
    "bad_reference": "ASN reference is longer than 40 characters",
    "missing_warehouse": "warehouse is empty",
    "unknown_warehouse": "warehouse code does not exist",
    "warehouse_not_allowed": "you may not work in this warehouse",
    "conflicting_asn_value": "value differs from an earlier row of the same ASN",
    "asn_exists": "an ASN with this reference already exists; not imported again",
}


def asn_error(file: str, line: int | None, column: str, code: str, value: str = "") -> RowError:
    return row_error(file, line, column, code, value, reasons=ASN_REASONS)


@dataclass(slots=True)
class ParsedAsnLine:
    sku: str
    quantity: int
    line: int


@dataclass(slots=True)
class ParsedAsn:
    """One ASN as read from the file; `cells` remembers where each ASN-level value came from."""

    reference: str
    file: str
    first_line: int
    warehouse: str = ""
    supplier: str = ""
    expected_at: datetime | None = None
    lines: list[ParsedAsnLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    cells: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # field -> (line, column, raw)


@dataclass(slots=True)
class AsnFile:
    """What a file holds: the good ASNs, every row error, the references rejected, and the headers."""

    asns: list[ParsedAsn] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written in the file


def parse_asn_file(name: str, data: bytes, local_tz: tzinfo = SHANGHAI) -> AsnFile:
    """Read an ASN file; an ASN with any error is left out whole, the others come through."""
    try:
        table = read_table(name, data)
        columns = Columns.resolve(table.header, ALIASES)
        missing = columns.missing(REQUIRED)
        if missing:
            return AsnFile(errors=[asn_error(name, table.header_line, col, "missing_column") for col in missing])
        drafts: dict[str, ParsedAsn] = {}
        loose: list[RowError] = []
        for line, cells in table.rows:
            if any(clean(c) for c in cells):
                _read_row(name, line, cells, columns, drafts, loose, local_tz)
    except UnreadableFile as error:
        return AsnFile(errors=[asn_error(name, error.line, error.column, error.code, error.value)])
    errors = sorted(loose + [e for d in drafts.values() for e in d.errors], key=lambda e: e.line or 0)
    return AsnFile(asns=[d for d in drafts.values() if not d.errors], errors=errors,
                   rejected=[d.reference for d in drafts.values() if d.errors],
                   headers={key: columns.header(key) for key in COLUMNS})


def _read_row(name: str, line: int, cells: list[str], columns: Columns, drafts: dict[str, ParsedAsn],
              loose: list[RowError], local_tz: tzinfo) -> None:
    reference = columns.get(cells, "reference")
    if not reference:
        loose.append(asn_error(name, line, columns.header("reference"), "missing_reference"))
        return
    if len(reference) > 40:
        loose.append(asn_error(name, line, columns.header("reference"), "bad_reference", reference))
        return
    draft = drafts.setdefault(reference, ParsedAsn(reference, name, line))

    def fail(column: str, code: str, value: str = "") -> None:
        draft.errors.append(asn_error(name, line, columns.header(column), code, value))

    for key in ASN_FIELDS:
        raw = columns.get(cells, key)
        seen = draft.cells.get(key)
        if seen is None:
            draft.cells[key] = (line, columns.header(key), raw)
            _set_field(draft, key, raw, fail, local_tz)
        elif raw != seen[2]:
            fail(key, "conflicting_asn_value", raw)
    sku = clean_code(columns.get(cells, "sku"))
    if not sku:
        fail("sku", "missing_sku")
    raw_qty = columns.get(cells, "quantity")
    try:
        quantity = parse_quantity(raw_qty)
    except ValueError:
        fail("quantity", "bad_quantity", raw_qty)
        return
    if sku:
        draft.lines.append(ParsedAsnLine(sku, quantity, line))


def _set_field(draft: ParsedAsn, key: str, raw: str, fail, local_tz: tzinfo) -> None:
    if key == "warehouse":
        draft.warehouse = raw.upper()
        if not raw:
            fail("warehouse", "missing_warehouse")
    elif key == "supplier":
        draft.supplier = raw[:120]
    elif raw:
        try:
            draft.expected_at = parse_datetime(raw, local_tz)
        except ValueError:
            fail("expected_at", "bad_date", raw)


# --- Import into the database ---------------------------------------------------------------------

@dataclass(slots=True)
class AsnImportResult:
    created: list[str] = field(default_factory=list)   # references of the ASNs created
    rejected: list[str] = field(default_factory=list)  # references left out because of errors
    errors: list[RowError] = field(default_factory=list)


def import_asn_file(name: str, data: bytes, *, user_id: int | None = None,
                    allowed_warehouses: Iterable[int] | None = None,
                    local_tz: tzinfo = SHANGHAI) -> AsnImportResult:
    """Import the good ASNs of a file, each in its own transaction; report every bad row."""
    from sqlalchemy import select

    from erp_core.catalog.services import find_sku_by_scan
    from erp_core.errors import Conflict
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse

    from .asn_services import create_asn
    from .models import Asn

    found = parse_asn_file(name, data, local_tz)
    result = AsnImportResult(rejected=list(found.rejected), errors=list(found.errors))
    allowed = None if allowed_warehouses is None else set(allowed_warehouses)
    warehouses = {w.code.upper(): w.id for w in db.session.scalars(select(Warehouse))}
    for asn in found.asns:
        problems: list[RowError] = []
        line, column, raw = asn.cells["warehouse"]
        warehouse_id = warehouses.get(asn.warehouse)
        if warehouse_id is None:
            problems.append(asn_error(name, line, column, "unknown_warehouse", raw))
        elif allowed is not None and warehouse_id not in allowed:
            problems.append(asn_error(name, line, column, "warehouse_not_allowed", raw))
        if db.session.scalar(select(Asn.id).filter_by(reference=asn.reference)):
            problems.append(asn_error(name, asn.first_line, found.headers["reference"], "asn_exists", asn.reference))
        lines: list[tuple[int, int]] = []
        for item in asn.lines:
            sku = find_sku_by_scan(item.sku)
            if sku is None:
                problems.append(asn_error(name, item.line, found.headers["sku"], "unknown_sku", item.sku))
            else:
                lines.append((sku.id, item.quantity))
        if not problems:
            try:
                create_asn(warehouse_id, lines, reference=asn.reference, supplier=asn.supplier,
                           expected_at=asn.expected_at, user_id=user_id)
            except Conflict as error:  # the reference was taken meanwhile
                if error.code != "asn_exists":
                    raise
                problems.append(asn_error(name, asn.first_line, found.headers["reference"], "asn_exists",
                                          asn.reference))
        if problems:
            result.errors.extend(problems)
            result.rejected.append(asn.reference)
        else:
            result.created.append(asn.reference)
    result.errors.sort(key=lambda e: e.line or 0)
    return result
