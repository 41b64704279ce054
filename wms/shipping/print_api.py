"""REST resources of the station printers (/api/v1/printers, shipping.manage). Thin: parse, call
wms.shipping.printing, serialise."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from erp_core.api.idempotency import DOC as IDEMPOTENCY_DOC
from erp_core.api.idempotency import idempotent
from erp_core.api.schemas import Schema
from erp_core.auth.guard import requires
from erp_core.auth.object_access import warehouse_of_arg
from erp_core.extensions import db

from . import printing
from .models import LABEL_FORMATS, PRINTER_KINDS, Printer

bp = Blueprint("printers_api", __name__, description="Label and document printers of the packing stations")


class PrinterSchema(Schema):
    class Meta:
        model = Printer

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    warehouse_id = fields.Integer(required=True)
    station_location_id = fields.Integer(allow_none=True, load_default=None,
                                         metadata={"description": "the packing bin the printer stands at"})
    kind = fields.String(load_default="browser", validate=validate.OneOf(PRINTER_KINDS),
                         metadata={"description": "tcp9100 (raw port 9100), cups (a queue printed with lp) "
                                                  "or browser (a PDF download)"})
    address = fields.String(load_default="", validate=validate.Length(max=200),
                            metadata={"description": "host:port (port 9100 by default) or the CUPS queue name"})
    language = fields.String(load_default="pdf", validate=validate.OneOf(printing.LANGUAGES))
    dpi = fields.Integer(load_default=203, validate=validate.OneOf((203, 300)))
    label_format = fields.String(load_default="100x150", validate=validate.OneOf(LABEL_FORMATS))
    active = fields.Boolean(load_default=True)


def _spec(data: dict) -> printing.PrinterSpec:
    if not current_user.may_access_warehouse(data["warehouse_id"]):
        abort(403)
    return printing.PrinterSpec(**data)


def _mine(printer_id: int) -> Printer:
    printer = printing.get_printer(printer_id)
    if not current_user.may_access_warehouse(printer.warehouse_id):
        abort(403)
    return printer


@bp.route("/printers")
class Printers(MethodView):
    @requires("shipping.manage")
    @bp.response(200, PrinterSchema(many=True))
    def get(self):
        """The printers of this user's warehouses."""
        stmt = select(Printer).order_by(Printer.warehouse_id, Printer.name)
        allowed = current_user.warehouse_ids()
        if allowed is not None:
            stmt = stmt.where(Printer.warehouse_id.in_(allowed))
        return db.session.scalars(stmt)

    @requires("shipping.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(PrinterSchema)
    @bp.response(201, PrinterSchema)
    def post(self, data):
        """Add a printer to a warehouse and (optionally) a packing station."""
        return printing.create_printer(_spec(data))


@bp.route("/printers/<int:printer_id>")
class PrinterById(MethodView):
    @requires("shipping.manage")
    @bp.response(200, PrinterSchema)
    def get(self, printer_id):
        """One printer."""
        return _mine(printer_id)

    @requires("shipping.manage")
    @warehouse_of_arg("printer", "printer_id")
    @bp.arguments(PrinterSchema)
    @bp.response(200, PrinterSchema)
    def put(self, data, printer_id):
        """Replace a printer's settings."""
        return printing.update_printer(_mine(printer_id).id, _spec(data))

    @requires("shipping.manage")
    @bp.response(204)
    def delete(self, printer_id):
        """Remove a printer that never printed (409 `printer_has_jobs` otherwise: deactivate it)."""
        printing.delete_printer(_mine(printer_id).id)
