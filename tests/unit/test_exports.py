"""Exports: a cell a spreadsheet would run as a formula is written as text, in CSV and in XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from erp_core.exports import csv_bytes, safe_cell, xlsx_bytes
from erp_core.fileimport import RowError, errors_to_csv

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1:A2)", "\tx", "\rx"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_formula_like_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_plain_text_numbers_dates_and_none_are_left_alone():
    assert [safe_cell(v) for v in ("Cup", "", 5, -2, Decimal("-1.50"), date(2024, 1, 2), None)] == [
        "Cup", "", 5, -2, Decimal("-1.50"), date(2024, 1, 2), None]


def test_the_csv_starts_every_formula_like_cell_with_a_quote():
    body = csv_bytes(["name", "qty"], [[text, 1] for text in DANGEROUS])
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["name", "qty"]
    assert [r[0] for r in rows[1:]] == ["'" + text for text in DANGEROUS]


def test_the_xlsx_reads_back_with_every_formula_like_cell_as_text():
    body = xlsx_bytes("Report", ["name", "qty"], [[text, -3] for text in DANGEROUS])
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    # XML reads a lone CR back as LF; what matters is the apostrophe in front
    assert [cell.value for cell in cells] == ["'" + text.replace("\r", "\n") for text in DANGEROUS]
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-3] * len(DANGEROUS)  # numbers stay numbers


def test_a_sheet_title_with_forbidden_characters_is_cleaned_and_shortened():
    sheet = load_workbook(io.BytesIO(xlsx_bytes("Sales/by:day [2024] and a very long tail", None, [["x"]]))).active
    assert len(sheet.title) <= 31 and "/" not in sheet.title


def test_the_import_error_report_makes_every_cell_inert_the_reason_too():
    body = errors_to_csv([RowError("=evil.csv", 2, "+col", "bad", "=HYPERLINK(\"x\")", "@SUM(1)")])
    row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))[1]
    assert row == ["'=evil.csv", "2", "'+col", "bad", "'=HYPERLINK(\"x\")", "'@SUM(1)"]
