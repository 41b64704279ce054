"""The request parser of every API route (webargs' FlaskParser, stricter about bodies)."""

from __future__ import annotations

import types

from flask_babel import gettext
from marshmallow import ValidationError, fields, missing
from webargs.flaskparser import FlaskParser


class BodyRequiredParser(FlaskParser):
    """A route that reads a JSON body needs one: the document says the body is required, so a request
    without it (or with another content type) is refused with 422, not taken as an empty change."""

    def load_json(self, req, schema):
        data = super().load_json(req, schema)
        if data is missing:
            raise ValidationError({"json": [gettext("A JSON body (Content-Type: application/json) is required.")]})
        _json_types(schema)
        return data


def _json_types(schema) -> None:
    """In a JSON body a number is a number and a boolean a boolean, as the document says: "5" is not
    an integer and 1 is not true (a query string has only strings, so this is for bodies alone)."""
    if getattr(schema, "_json_strict", False):
        return
    schema._json_strict = True
    for field in schema.fields.values():
        _strict_field(field)


def _strict_field(field) -> None:
    if isinstance(field, fields.List):
        _strict_field(field.inner)
    elif isinstance(field, fields.Nested):
        _json_types(field.schema)
    elif isinstance(field, fields.Integer):
        field.strict = True
    elif isinstance(field, fields.Boolean):
        field._deserialize = types.MethodType(_boolean_only, field)


def _boolean_only(field, value, attr, data, **kwargs):
    if not isinstance(value, bool):  # 1 == True in Python: a set of truthy values would take 1
        raise field.make_error("invalid")
    return value
