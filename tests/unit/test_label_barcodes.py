"""The one barcode module: whole-dot bars never under the printer's minimum, a layout that fits or a clear
refusal, GS1-128 with FNC1 and SSCC check digits checked by python-stdnum, ZPL field data that encodes
exactly our codewords."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.ean import calc_check_digit

from wms.barcodes import (
    FNC1,
    BarcodeDoesNotFit,
    code128_codewords,
    code128_modules,
    code128_svg,
    fit_code128,
    text_mm,
    zpl_decode_field_data,
    zpl_field_data,
)
from wms.shipping.label_data import SlipLine, item_summary, mask_phone
from wms.shipping.sscc import PalletLabel, make_sscc, validate_sscc

codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=31)


@given(data=codes, width=st.floats(20, 140), dpi=st.sampled_from([203, 300]))
def test_a_fitted_code_never_has_bars_under_two_dots_at_203_or_three_at_300_dpi(data, width, dpi):
    # given any code and box / when it is fitted
    try:
        layout = fit_code128(data, width_mm=width, height_mm=12, dpi=dpi, rotate=False)
    except BarcodeDoesNotFit:
        # then either it is refused because even the narrowest allowed bars are too long for the box
        assert code128_modules(data) * {203: 2, 300: 3}[dpi] * 25.4 / dpi > width
        return
    # or its modules are whole dots, at least the minimum, and the code fits its box
    assert layout.module_dots >= {203: 2, 300: 3}[dpi]
    assert layout.width_mm <= width + 1e-9


def test_a_code_too_long_for_its_width_is_turned_90_degrees_into_the_height():
    # given a 31-character code and a box 50 mm wide but 120 mm tall
    layout = fit_code128("JDVA" + "X1Y2Z3" * 4 + "ABC", width_mm=50, height_mm=120, bar_mm=12)

    # then it is turned, its bars 12 mm long across, and the code runs down the box
    assert layout.rotated and layout.module_dots >= 2
    assert layout.width_mm == pytest.approx(12, abs=0.2)
    assert layout.height_mm <= 120


def test_a_code_that_fits_neither_way_is_refused_with_a_stable_code():
    with pytest.raises(BarcodeDoesNotFit) as refused:
        fit_code128("ABCDEFGHJKLMNPQRSTUVWXYZ", width_mm=30, height_mm=30)
    assert refused.value.code == "barcode_does_not_fit"


def test_one_dot_bars_are_refused_even_when_asked_for_directly():
    with pytest.raises(ValueError, match="do not scan"):
        code128_svg("HZ-01-A01-01-1", module_dots=1)


def test_digit_runs_are_packed_two_digits_a_symbol_in_subset_c():
    # given a 12-digit tracking number and its letters-first cousin
    digits, mixed = code128_codewords("700000000123"), code128_codewords("ZT7000000001")

    # then the digits start in subset C (start code 105) and take 6 symbols; letters switch to C for the run
    assert digits[0] == 105 and len(digits) == 7
    assert 99 in mixed and len(mixed) < 1 + len("ZT7000000001")


def test_text_of_a_long_code_gets_smaller_but_not_unreadably_small():
    assert text_mm("A-01", width_mm=60, largest_mm=6.5) == 6.5
    assert 1.6 <= text_mm("HZ-01-A02-01-5AB-1", width_mm=40, largest_mm=6.5) < 6.5


@pytest.mark.parametrize("data", ["HZ-01-A01-01-1", "ZT7000000001", "A>B12345", "SF1234567890123", "12345"])
def test_zpl_field_data_encodes_exactly_the_code(data):
    # given a code / when turned into ^BC mode-N field data / then reading the invocations back gives the code
    field = zpl_field_data(data)
    assert field[:2] in (">:", ">;", ">9")
    assert zpl_decode_field_data(field) == data


def test_gs1_field_data_starts_with_fnc1_and_separates_the_variable_elements():
    label = PalletLabel(make_sscc("0614141", 123), "200120", "MF-20261120-0001")
    field = zpl_field_data(label.barcode_data, gs1=True)
    assert field.startswith(">;>8")
    assert zpl_decode_field_data(field) == label.barcode_data
    assert label.barcode_data.count(FNC1) == 1  # after (420): variable-length and not last


def test_an_sscc_carries_the_gs1_mod_10_check_digit():
    # given GS1's own example (extension 0, prefix 0614141, serial 123456789 -> SSCC 006141411234567890)
    assert make_sscc("0614141", 123456789) == "006141411234567890"
    assert calc_check_digit("00614141123456789") == "0"
    # a wrong check digit is refused
    with pytest.raises(Exception, match="not a valid SSCC"):
        validate_sscc("006141411234567891")


def test_the_element_string_is_validated_and_printed_with_brackets():
    label = PalletLabel(make_sscc("0614141", 7), "200120", "MF-0001")
    assert label.human_readable.startswith("(00)0061414100000000")
    assert "(420)200120(401)MF-0001" in label.human_readable
    assert label.element_string == "00" + label.sscc + "420200120\x1d401MF-0001"


@pytest.mark.parametrize(("postcode", "consignment"), [("2" * 21, ""), ("", "C" * 31), ("200120", "运单")])
def test_elements_too_long_or_outside_the_gs1_characters_are_refused(postcode, consignment):
    with pytest.raises(Exception, match="GS1"):
        PalletLabel(make_sscc("0614141", 1), postcode, consignment).human_readable  # noqa: B018


def test_phones_are_masked_as_waybills_print_them():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "861****8000"
    assert mask_phone("") == ""


def test_the_item_summary_is_cut_with_an_ellipsis():
    lines = [SlipLine(f"SKU-{n:03d}", "x", n) for n in range(1, 20)]
    summary = item_summary(lines, limit=40)
    assert summary.startswith("SKU-001×1, SKU-002×2") and summary.endswith("…") and len(summary) <= 40
