"""Forms of the catalog screens: file import, kit components and the lot set-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

CATALOG_EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")


class CatalogImportForm(FlaskForm):
    file = FileField(_l("Catalog file (CSV or XLSX)"))

    def validate_file(self, field: FileField) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError(_l("Choose a file."))
        if not upload.filename.lower().endswith(CATALOG_EXTENSIONS):
            raise ValidationError(_l("%(name)s is not a CSV or XLSX file.", name=upload.filename))


class KitForm(FlaskForm):
    components = StringField(_l("Components (e.g. SKU-A*2|SKU-B*1; empty = not a kit)"),
                             validators=[Optional(), Length(max=2000)])

    def parsed(self) -> list[tuple[str, int]]:
        """The components as (code, quantity); raises ValidationError for a malformed entry."""
        components = []
        for part in (p.strip() for p in (self.components.data or "").split("|")):
            if not part:
                continue
            code, _, quantity = part.rpartition("*") if "*" in part else (part, "", "1")
            if not code.strip() or not quantity.strip().isdigit() or int(quantity) <= 0:
                raise ValidationError(_l("Write each component as CODE*QUANTITY: %(part)s", part=part))
            components.append((code.strip(), int(quantity)))
        return components


class LotSetupForm(FlaskForm):
    """Lot tracking and the shelf-life rules (days; empty = no rule). The service checks them as a whole."""

    lot_tracked = BooleanField(_l("Tracked by lot (batch number and expiry date at receipt)"))
    shelf_life_days = IntegerField(_l("Shelf life (days)"), validators=[Optional(), NumberRange(min=1, max=36_500)])
    min_receipt_life_days = IntegerField(_l("Minimum days left at receipt"),
                                         validators=[Optional(), NumberRange(min=0, max=36_500)])
    min_ship_life_days = IntegerField(_l("Minimum days left at shipment"),
                                      validators=[Optional(), NumberRange(min=0, max=36_500)])

    def values(self) -> dict[str, object]:
        return {"lot_tracked": bool(self.lot_tracked.data), "shelf_life_days": self.shelf_life_days.data,
                "min_receipt_life_days": self.min_receipt_life_days.data,
                "min_ship_life_days": self.min_ship_life_days.data}
