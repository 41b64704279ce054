"""Barcode validation: GS1 check digits, classification, and messages a person can act on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp_core.catalog.barcodes import (
    INTERNAL,
    InvalidBarcode,
    classify_barcode,
    compute_check_digit,
    ean13_check_digit,
    is_valid_barcode,
    parse_barcode,
    to_gtin14,
)
from erp_core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("6901234567892", "gtin13"),  # EAN-13, China prefix 690
        ("4006381333931", "gtin13"),  # EAN-13 from GS1's own examples
        ("9787115428028", "gtin13"),  # ISBN-13 is an EAN-13
        ("036000291452", "upca"),  # UPC-A
        ("96385074", "gtin8"),  # EAN-8
        ("10012345678902", "gtin14"),  # GTIN-14 (case code)
    ],
)
def test_valid_gs1_codes_are_classified_by_length(code: str, kind: str) -> None:
    # given a GS1 code with a correct check digit / when classified / then its kind comes from its length
    assert classify_barcode(code) == kind


@pytest.mark.parametrize("code", ["INT00102", "SKU-TEA-LJ-250", "100234", "A1B2C3", "123456789"])
def test_non_numeric_and_odd_length_codes_are_internal(code: str) -> None:
    # given codes that are not GS1 lengths or not numeric / then they are accepted as internal codes
    assert classify_barcode(code) == INTERNAL


def test_a_wrong_check_digit_is_rejected_with_the_digit_it_should_be() -> None:
    # given an EAN-13 whose last digit is wrong
    # when validated
    with pytest.raises(InvalidBarcode) as raised:
        parse_barcode("6901234567890")
    # then the message names the symbology and the expected digit
    assert "EAN-13" in raised.value.reason
    assert "should be 2" in raised.value.reason


def test_invalid_barcode_is_a_validation_error_with_a_stable_code() -> None:
    # given an invalid code / when validated / then the API can map it like any validation failure
    with pytest.raises(ValidationFailed) as raised:
        classify_barcode("036000291453")
    assert raised.value.code == "invalid_barcode"
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("6.90123E+12", "scientific notation"),
        ("690 1234 567892", "spaces"),
        ("茶叶-001", "cannot send"),
        ("X" * 65, "longer than 64"),
    ],
)
def test_unusable_codes_are_rejected_with_a_clear_reason(code: str, words: str) -> None:
    # given a code a scanner could not match / when validated / then the reason says why
    with pytest.raises(InvalidBarcode) as raised:
        parse_barcode(code)
    assert words in raised.value.reason


def test_surrounding_whitespace_is_ignored() -> None:
    # given a pasted code with spaces around it / when parsed / then the code is trimmed
    assert parse_barcode("  6901234567892\n").code == "6901234567892"


def test_check_digit_is_computed_for_every_gs1_length() -> None:
    # given the bodies of known codes / when the check digit is computed / then it is the known last digit
    assert compute_check_digit("690123456789") == 2
    assert compute_check_digit("03600029145") == 2
    assert compute_check_digit("9638507") == 4
    assert compute_check_digit("1001234567890") == 2
    assert ean13_check_digit("400638133393") == 1


def test_check_digit_refuses_non_digits() -> None:
    # given a body with letters / when computing / then it is an error, not a silent guess
    with pytest.raises(ValueError, match="digits only"):
        compute_check_digit("69012345678X")


def test_ean13_check_digit_requires_twelve_digits() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        ean13_check_digit("69012345678")


def test_gtin14_form_pads_shorter_codes_so_they_compare_equal() -> None:
    # given a UPC-A and the same number as EAN-13 / when converted / then both give one GTIN-14
    assert to_gtin14("036000291452") == to_gtin14("0036000291452") == "00036000291452"


def test_internal_codes_have_no_gtin14_form() -> None:
    with pytest.raises(InvalidBarcode, match="no GTIN-14"):
        to_gtin14("INT00102")


def test_in_store_prefixes_are_flagged() -> None:
    # given a variable-weight EAN-13 (prefix 2x) / when parsed / then it is marked in-store only
    body = "200123400000"
    code = body + str(compute_check_digit(body))
    assert parse_barcode(code).in_store
    assert not parse_barcode("6901234567892").in_store


@given(body=st.text(alphabet="0123456789", min_size=7, max_size=13).filter(lambda b: len(b) in (7, 11, 12, 13)))
def test_a_body_completed_with_its_check_digit_is_always_valid(body: str) -> None:
    # given any GS1 body / when its check digit is appended / then the code validates
    assert is_valid_barcode(body + str(compute_check_digit(body)))


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12), wrong=st.integers(1, 9))
def test_any_other_last_digit_is_invalid(body: str, wrong: int) -> None:
    # given an EAN-13 body and a last digit that is not its check digit / then validation fails
    bad = (compute_check_digit(body) + wrong) % 10
    assert not is_valid_barcode(body + str(bad))


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12), position=st.integers(0, 11),
       delta=st.integers(1, 9))
def test_any_single_digit_typo_is_caught(body: str, position: int, delta: int) -> None:
    # given a valid EAN-13 with one digit changed / then the check digit catches it (mod 10, weights 1/3)
    code = body + str(compute_check_digit(body))
    digits = list(code)
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert not is_valid_barcode("".join(digits))
