"""Hostile import files (issue #15): broken encodings, huge cells, formula cells, wrong types, zip
bombs, 200k rows. The parsers never raise: each file is refused or parsed, and every problem is a row
error naming the file (and, for a row, its line and column) with a stable code and reason."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_core.channels.importers import parse_orders
from erp_core.channels.importers.model import REASONS
from erp_core.fileimport import UnreadableFile, UploadLimits, read_table
from erp_core.fileimport.tables import check_upload

HEADER = "order_no,buyer_name,phone,province,city,address,sku,quantity,unit_price"
SKUS = {"TEA-LJ-250", "MUG-CER-350"}
_CELLS = st.one_of(
    st.sampled_from(["TEA-LJ-250", "1", "-3", "1e9", "12.50", "=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "\t=2",
                     "2026-11-20", "", "NaN", "1,000", "¥8", "=\"123\"", "'0012", "张三", "\x00"]),
    st.text(max_size=30),
    st.text(min_size=200, max_size=400),
)
_ROWS = st.lists(st.lists(_CELLS, min_size=0, max_size=12), max_size=15)


def _csv(rows: list[list[str]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _check(result, names: set[str]) -> None:
    for error in result.errors:
        assert error.code in REASONS and error.reason == REASONS[error.code]
        assert error.file in names | {""}
        if error.line is not None:
            assert error.line >= 1
    for order in result.orders:
        assert order.lines and all(line.sku in SKUS and line.quantity > 0 for line in order.lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_ROWS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_any_csv_of_text_cells_is_parsed_into_orders_or_row_errors(rows, encoding):
    try:
        data = _csv(rows).encode(encoding)
    except UnicodeEncodeError:
        data = _csv(rows).encode("utf-8", "replace")
    _check(parse_orders([("fuzz.csv", data)], known_skus=SKUS), {"fuzz.csv"})


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_are_refused_or_parsed_never_raised(data):
    _check(parse_orders([("bytes.csv", HEADER.encode() + b"\n" + data), ("bytes.xlsx", b"PK\x03\x04" + data)],
                        known_skus=SKUS), {"bytes.csv", "bytes.xlsx"})


def test_an_xlsx_with_formula_and_wrong_type_cells_is_parsed_as_text():
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["X1", "张三", 13800000000, "浙江省", "杭州市", "文三路1号", "TEA-LJ-250", 2.0, 12.5])
    sheet.append(["X2", "=HYPERLINK(\"http://x\")", True, datetime(2026, 1, 1), None, "x", "TEA-LJ-250", "=1+1", -1])
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse_orders([("types.xlsx", buffer.getvalue())], known_skus=SKUS)
    _check(result, {"types.xlsx"})
    assert [o.external_id for o in result.orders] == ["X1"]
    assert {e.code for e in result.errors if e.line == 3} >= {"bad_quantity"}


def test_a_zip_bomb_is_refused_before_openpyxl_unpacks_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x>" + b"0" * 80_000_000)
    result = parse_orders([("bomb.xlsx", buffer.getvalue())], known_skus=SKUS)
    assert [(e.file, e.code) for e in result.errors] == [("bomb.xlsx", "zip_bomb")] and not result.orders


def test_a_huge_cell_is_refused_with_its_line_and_column():
    data = (HEADER + "\nA1,张三,1,浙江省,杭州市," + "x" * 10_001 + ",TEA-LJ-250,1,1\n").encode()
    [error] = parse_orders([("huge.csv", data)], known_skus=SKUS).errors
    assert (error.line, error.column, error.code) == (2, "address", "cell_too_long")


@pytest.mark.slow
def test_a_200k_row_csv_is_within_the_limit_and_one_more_row_is_not():
    limits = UploadLimits()
    row = "A{n},张三,13800000000,浙江省,杭州市,文三路1号,TEA-LJ-250,1,10.00\n"
    text = HEADER + "\n" + "".join(row.format(n=n) for n in range(limits.max_rows))
    table = read_table("big.csv", text.encode(), limits)
    assert sum(1 for _ in table.rows) == limits.max_rows
    check_upload("big.csv", text.encode(), limits)
    over = (text + row.format(n=-1)).encode()
    with pytest.raises(UnreadableFile) as refused:
        check_upload("big.csv", over, limits)
    assert refused.value.code == "too_many_rows"
    assert [e.code for e in parse_orders([("big.csv", over)], known_skus=SKUS).errors] == ["too_many_rows"]
