"""SSCC pallet labels (GS1-128): the Serial Shipping Container Code and the element string it travels in.

Pure: no Flask, no database. The check digit is GS1's mod-10 (weights 3, 1 from the right), computed
and checked by python-stdnum (``stdnum.ean.calc_check_digit`` works for any GTIN/SSCC length), and
the whole element string is validated by ``stdnum.gs1_128`` (AI formats and lengths) rather than by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import gs1_128
from stdnum.ean import calc_check_digit
from stdnum.exceptions import ValidationError

from erp_core.errors import ValidationFailed
from wms.barcodes import FNC1

GS = "\x1d"  # the group separator a scanner sends for FNC1
DEFAULT_COMPANY_PREFIX = "0614141"  # GS1's documentation prefix: set WMS_GS1_COMPANY_PREFIX to your own
# GS1 AI encodable character set 82 (what an X element may hold).
_GS1_CHARS = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


def make_sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """The 18-digit SSCC: extension digit + company prefix + serial reference (17 digits) + check digit."""
    if not (company_prefix.isdigit() and 6 <= len(company_prefix) <= 12):
        raise ValidationFailed("the GS1 company prefix is 6 to 12 digits", code="bad_gs1_prefix",
                               prefix=company_prefix)
    room = 16 - len(company_prefix)
    if not (0 <= extension <= 9) or not (0 <= serial < 10**room):
        raise ValidationFailed(f"the serial reference is at most {room} digits", code="bad_sscc_serial",
                               digits=room)
    body = f"{extension}{company_prefix}{serial:0{room}d}"
    return body + calc_check_digit(body)


def validate_sscc(sscc: str) -> str:
    """The SSCC if it is 18 digits with a right check digit; ValidationFailed otherwise."""
    if not (len(sscc) == 18 and sscc.isdigit()) or calc_check_digit(sscc[:-1]) != sscc[-1]:
        raise ValidationFailed(f"{sscc} is not a valid SSCC", code="bad_sscc", sscc=sscc)
    return sscc


@dataclass(frozen=True)
class PalletLabel:
    """What a pallet label carries: the SSCC, the ship-to postcode (420), the consignment (401)."""

    sscc: str
    postcode: str = ""
    consignment: str = ""
    ship_to: str = ""
    ship_from: str = ""
    carrier: str = ""
    parcels: int = 0

    def elements(self) -> list[tuple[str, str]]:
        """(AI, value) in print order: fixed-length (00) first, the variable ones after it."""
        for ai, value, longest in (("420", self.postcode, 20), ("401", self.consignment, 30)):
            if len(value) > longest or not _GS1_CHARS.issuperset(value):
                raise ValidationFailed(f"({ai}) is at most {longest} of GS1's characters", code="bad_gs1_element",
                                       text=f"({ai}){value}")
        pairs = [("00", validate_sscc(self.sscc))]
        if self.postcode:
            pairs.append(("420", self.postcode))
        if self.consignment:
            pairs.append(("401", self.consignment))
        return pairs

    @property
    def human_readable(self) -> str:
        """'(00)006141410000001231(420)200120(401)MF-0001', the text printed under the barcode."""
        self._validate()
        return "".join(f"({ai}){value}" for ai, value in self.elements())

    @property
    def barcode_data(self) -> str:
        """The data of the GS1-128 symbol (its leading FNC1 is the encoder's): FNC1 ends every variable
        element except the last; the fixed-length (00) needs none."""
        self._validate()
        return self._joined(FNC1)

    @property
    def element_string(self) -> str:
        """The element string as a scanner reports it (GS = ASCII 29 where the symbol has FNC1)."""
        return self.barcode_data.replace(FNC1, GS)

    def _joined(self, separator: str) -> str:
        pairs = self.elements()
        out = ""
        for i, (ai, value) in enumerate(pairs):
            out += ai + value
            if ai != "00" and i < len(pairs) - 1:
                out += separator
        return out

    def _validate(self) -> None:
        # stdnum reads the AIs, their formats and lengths from GS1's table; with the separator it can tell
        # where a variable-length element ends (parentheses alone would not tell it).
        text = self._joined(GS)
        try:
            gs1_128.validate(text, separator=GS)
        except ValidationError as error:
            raise ValidationFailed(f"not a valid GS1-128 element string: {text!r} ({error})",
                                   code="bad_gs1_element", text=text.replace(GS, " ")) from error
