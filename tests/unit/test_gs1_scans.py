"""GS1-128 / GS1 DataMatrix lot labels read at receiving: GTIN, lot, expiry and production date."""

from __future__ import annotations

from datetime import date

from erp_core.inventory.lot_rules import Gs1Data, expiry_from_production, gtin_codes, parse_gs1

GTIN = "06901234567892"  # EAN-13 6901234567892 as a GTIN-14


def test_the_bracketed_form_gives_gtin_lot_and_expiry():
    assert parse_gs1(f"(01){GTIN}(17)271231(10)LOT-A1") == Gs1Data(GTIN, "LOT-A1", None, date(2027, 12, 31))


def test_the_raw_form_a_scanner_sends_with_group_separators_and_a_symbology_prefix_is_read_the_same():
    raw = f"]C101{GTIN}10LOT-A1\x1d17271231"
    assert parse_gs1(raw) == Gs1Data(GTIN, "LOT-A1", None, date(2027, 12, 31))
    assert parse_gs1(f"]d201{GTIN}17271231\x1d10LOT-A1") == parse_gs1(raw)


def test_a_label_with_only_a_production_date_leaves_the_expiry_to_the_shelf_life():
    found = parse_gs1(f"(01){GTIN}(11)260115(10)B7")
    assert found == Gs1Data(GTIN, "B7", date(2026, 1, 15), None)
    assert expiry_from_production(found.production_date, 365) == date(2027, 1, 15)


def test_a_plain_barcode_is_not_a_gs1_element_string():
    assert parse_gs1("6901234567892") is None
    assert parse_gs1("INT-TEA-1") is None


def test_a_malformed_gs1_string_is_none_rather_than_an_error():
    assert parse_gs1("(01)06901234567891(10)X") is None  # wrong GTIN check digit
    assert parse_gs1("(17)271399(10)X") is None          # month 13
    assert parse_gs1("(01)0690123(10)X") is None           # a GTIN cut short


def test_a_gtin_14_may_be_stored_as_ean_13_or_upc_a():
    assert gtin_codes(GTIN) == [GTIN, "6901234567892"]
    assert gtin_codes("00012345678905") == ["00012345678905", "0012345678905", "012345678905"]
