"""Forms of the catalog screens: file import and kit components."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

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
