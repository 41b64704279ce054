"""Forms of the layout screens (Flask-WTF: a CSRF token in each) and the translated words they show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Form, FormField, IntegerField, SelectField, StringField, ValidationError
from wtforms.fields import FieldList, FloatField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from erp_core.inventory.forms import bin_type_label

from .services import AISLE_BIN_TYPES, EDITABLE_BIN_TYPES, MAX_LEVELS, SPECIAL_BIN_TYPES, LayoutSpec, ZoneSpec

#: The bin import's error codes (wms.locations.layout_csv.IMPORT_REASONS) as translated reasons.
IMPORT_ERROR_TEXTS = {
    "bad_encoding": _l("The file is not UTF-8 or GBK text."),
    "empty_file": _l("The file has no header row."),
    "missing_column": _l("A required column is missing."),
    "missing_code": _l("The bin code is empty."),
    "bad_code": _l("Codes may hold letters, digits, . _ - (up to 40), starting with a letter or digit."),
    "duplicate_in_file": _l("This bin appears twice in the file; only the first row counts."),
    "not_a_bin": _l("This code belongs to a zone or an aisle, not a bin."),
    "bad_bin_type": _l("Unknown bin type."),
    "missing_bin_type": _l("A new bin outside the aisles needs a bin type."),
    "bad_number": _l("Not a valid number (0 or more)."),
    "bad_capacity": _l("Capacity must be a whole number from 1 to 1000000."),
    "bad_active": _l("Active must be 1/0, true/false or yes/no."),
    "bad_mixed_lots": _l("Mixed lots must be 1/0, true/false or yes/no."),
    "unknown_aisle": _l("No such aisle in the warehouse: aisles come from the layout form."),
    "aisle_required": _l("A bin in a zone needs its aisle."),
    "aisle_mismatch": _l("The bin is in another zone or aisle; bins cannot move between aisles by import."),
    "missing_position": _l("A new aisle bin needs y, or the bay of a generated layout."),
    "outside_aisle": _l("The coordinates lie outside the bin's aisle."),
    "code_locked": _l("Stock has moved through this bin: its barcode cannot change."),
    "barcode_taken": _l("This barcode is already used by another location."),
    "conflict": _l("The database refused this row."),
}


def import_error_text(code: str, fallback: str) -> str:
    return str(IMPORT_ERROR_TEXTS.get(code, fallback))


def _type_choices(types: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(t, bin_type_label(t)) for t in types]


class ZoneForm(Form):
    """One zone row of the layout form; a row with no code is ignored."""

    code = StringField(_l("Zone code"), validators=[Optional(), Length(max=4)])
    zone_name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    aisles = IntegerField(_l("Aisles"), validators=[Optional(), NumberRange(min=1, max=99)])
    bays_per_aisle = IntegerField(_l("Bays per aisle"), validators=[Optional(), NumberRange(min=1, max=99)])
    levels = IntegerField(_l("Levels"), validators=[Optional(), NumberRange(min=1, max=MAX_LEVELS)])
    reserve_from = IntegerField(_l("Reserve from level"), validators=[Optional(), NumberRange(min=1, max=MAX_LEVELS)])
    bin_type = SelectField(_l("Bin type"), choices=[], default="pick")

    def validate_code(self, field) -> None:
        if field.data and not all((self.aisles.data, self.bays_per_aisle.data, self.levels.data)):
            raise ValidationError(_l("Give the zone's aisles, bays per aisle and levels."))


class LayoutForm(FlaskForm):
    zones = FieldList(FormField(ZoneForm), min_entries=4, max_entries=12)
    aisle_spacing_m = FloatField(_l("Aisle spacing, centre to centre (m)"), default=3.0,
                                 validators=[InputRequired(), NumberRange(min=0.5, max=50)])
    aisle_width_m = FloatField(_l("Aisle width between the racks (m)"), default=1.5,
                               validators=[InputRequired(), NumberRange(min=0.3, max=20)])
    bay_width_m = FloatField(_l("Bay width (m)"), default=1.0,
                             validators=[InputRequired(), NumberRange(min=0.2, max=10)])
    front_margin_m = FloatField(_l("Front cross aisle (m)"), default=2.0,
                                validators=[InputRequired(), NumberRange(min=0.5, max=30)])
    back_margin_m = FloatField(_l("Back cross aisle (m)"), default=2.0,
                               validators=[InputRequired(), NumberRange(min=0.5, max=30)])
    cross_aisles = IntegerField(_l("Middle cross aisles"), default=0,
                                validators=[InputRequired(), NumberRange(min=0, max=9)])
    cross_aisle_width_m = FloatField(_l("Middle cross aisle width (m)"), default=2.0,
                                     validators=[InputRequired(), NumberRange(min=0.5, max=30)])
    depot_x_m = FloatField(_l("Depot: distance from the left wall along the front cross aisle (m)"), default=0.0,
                           validators=[InputRequired(), NumberRange(min=0, max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for zone in self.zones:
            zone.form.bin_type.choices = _type_choices(AISLE_BIN_TYPES)

    def spec(self) -> LayoutSpec:
        zones = tuple(ZoneSpec(code=z.code.data.strip().upper(), aisles=z.aisles.data,
                               bays_per_aisle=z.bays_per_aisle.data, levels=z.levels.data,
                               bin_type=z.bin_type.data, reserve_levels_from=z.reserve_from.data,
                               name=(z.zone_name.data or "").strip())
                      for z in (entry.form for entry in self.zones) if (z.code.data or "").strip())
        return LayoutSpec(zones=zones, aisle_spacing_m=self.aisle_spacing_m.data, bay_width_m=self.bay_width_m.data,
                          front_margin_m=self.front_margin_m.data, back_margin_m=self.back_margin_m.data,
                          aisle_width_m=self.aisle_width_m.data, cross_aisles=self.cross_aisles.data,
                          cross_aisle_width_m=self.cross_aisle_width_m.data, depot=(self.depot_x_m.data, 0.0))


class BinForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])
    barcode = StringField(_l("Barcode"), validators=[InputRequired(), Length(max=40)])
    bin_type = SelectField(_l("Bin type"), choices=[])
    capacity = IntegerField(_l("Capacity (units, empty = unlimited)"),
                            validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    active = BooleanField(_l("Active"))
    mixed_lots = BooleanField(_l("Mixes lots (off: one lot of a SKU at a time)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bin_type.choices = _type_choices(EDITABLE_BIN_TYPES)


class SpecialBinForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])
    bin_type = SelectField(_l("Bin type"), choices=[])
    capacity = IntegerField(_l("Capacity (units, empty = unlimited)"),
                            validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    x = FloatField(_l("x (m, optional)"), validators=[Optional(), NumberRange(min=0, max=2000)])
    y = FloatField(_l("y (m, optional)"), validators=[Optional(), NumberRange(min=0, max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bin_type.choices = _type_choices(SPECIAL_BIN_TYPES)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
