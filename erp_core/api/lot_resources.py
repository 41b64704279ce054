"""REST resources of lots (批次): list, detail with where it is and its trace, hold and release;
and stock per bin and lot. Thin: parse, call a service, serialise."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..catalog.services import sku_by_code
from ..errors import NotFound
from ..extensions import db
from ..inventory import lot_trace, recall, stock_queries
from ..inventory.expiry import alert_window_days
from ..inventory.lot_rules import expiry_alert
from ..inventory.models import Lot, Quant, Warehouse
from ..inventory.reservations import business_today
from . import lot_schemas as ls
from .cursor import page_or_cursor, paged
from .idempotency import DOC as IDEMPOTENCY_DOC
from .idempotency import idempotent
from .resources import bp


def _lot_out(lot: Lot, totals: tuple[int, int, int]) -> dict:
    alert = expiry_alert(business_today(), lot.expiry_date, lot.sku.min_ship_life_days, alert_window_days())
    return {"id": lot.id, "sku": lot.sku.code, "lot_number": lot.lot_number, "production_date": lot.production_date,
            "expiry_date": lot.expiry_date, "days_left": alert.days_left if alert else None,
            "last_ship_date": alert.last_ship_date if alert else None, "on_hold": lot.on_hold,
            "hold_reason": lot.hold_reason, "short_dated_receipt": lot.short_dated_receipt,
            "clearance_note": lot.clearance_note, "on_hand": totals[0], "reserved": totals[1],
            "available": totals[2]}


def _get_lot(lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("no such lot", code="unknown_lot", lot_id=lot_id)
    return lot


def _lot_detail(lot: Lot) -> dict:
    allowed = current_user.warehouse_ids()
    out = _lot_out(lot, lot_trace.lot_totals([lot.id], allowed).get(lot.id, (0, 0, 0)))
    out["stock"] = [{"warehouse": b.warehouse_code, "bin": b.location_code, "bin_type": b.bin_type,
                     "quantity": b.quantity, "reserved": b.reserved, "available": b.available}
                    for b in lot_trace.lot_bins(lot.id, allowed)]
    summary = lot_trace.trace_summary(lot.id, allowed)
    orders = lot_trace.lot_orders(lot.id, allowed)
    out["trace"] = {**summary.__dict__, "orders": [
        {"order_id": o.order_id, "external_id": o.external_id, "channel": o.channel_code, "status": o.status,
         "warehouse": o.warehouse_code, "customer": o.customer_name, "ship_name": o.ship_name,
         "ship_phone": o.ship_phone, "units_taken": o.taken, "units_reserved": o.reserved} for o in orders]}
    return out


@bp.route("/lots")
class Lots(MethodView):
    @requires("stock.view")
    @bp.arguments(ls.LotQuery, location="query")
    @bp.response(200, paged(ls.LotSchema))
    def get(self, args):
        """Lots with their dates, hold and stock in this user's warehouses, in id order; page/per_page or
        cursor."""
        sku_id = sku_by_code(args["sku"]).id if args["sku"] else None
        stmt = lot_trace.lots_query(sku_id=sku_id, expiring_within=args["expiring_within"], on_hold=args["on_hold"])
        found = page_or_cursor(stmt, Lot.id, args)
        totals = lot_trace.lot_totals([lot.id for lot in found["items"]], current_user.warehouse_ids())
        return {**found, "items": [_lot_out(lot, totals.get(lot.id, (0, 0, 0))) for lot in found["items"]]}


@bp.route("/lots/<int:lot_id>")
class LotById(MethodView):
    @requires("stock.view")
    @bp.response(200, ls.LotDetailSchema)
    def get(self, lot_id):
        """One lot: where it lies now (per bin) and its trace (receipts, orders that took or reserve it)."""
        return _lot_detail(_get_lot(lot_id))


@bp.route("/lots/<int:lot_id>/hold")
class LotHold(MethodView):
    @requires("stock.adjust")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ls.LotHoldSchema)
    @bp.response(200, ls.LotDetailSchema)
    def post(self, data, lot_id):
        """Put the lot on hold (recall, quality block): it is no longer allocated. Reservations stay."""
        return _lot_detail(recall.hold_lot(_get_lot(lot_id).id, data["reason"]))


@bp.route("/lots/<int:lot_id>/release")
class LotRelease(MethodView):
    @requires("stock.adjust")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.response(200, ls.LotDetailSchema)
    def post(self, lot_id):
        """Lift the lot's hold: its free units can be allocated again."""
        return _lot_detail(recall.release_lot(_get_lot(lot_id).id))


@bp.route("/stock/bins")
class StockBins(MethodView):
    @requires("stock.view")
    @bp.arguments(ls.StockBinQuery, location="query")
    @bp.response(200, paged(ls.StockBinSchema))
    def get(self, args):
        """Stock per SKU, bin and lot, with the lot number and expiry date (None for untracked SKUs), in the
        order the quants were created; page/per_page or cursor."""
        allowed = current_user.warehouse_ids()
        if args["warehouse"]:
            wanted = set(db.session.scalars(select(Warehouse.id).where(Warehouse.code == args["warehouse"])))
            allowed = wanted if allowed is None else allowed & wanted
        sku_id = sku_by_code(args["sku"]).id if args["sku"] else None
        stmt = stock_queries.bin_stock(warehouse_ids=allowed, sku_id=sku_id, with_quant_id=True)
        found = page_or_cursor(stmt, Quant.id, args, id_of=lambda row: row.quant_id,
                               fetch=lambda query: stock_queries.bin_stock_rows(query, with_quant_id=True))
        items = [{"sku": r.sku_code, "warehouse": r.stock.warehouse_code, "bin": r.stock.location_code,
                  "bin_type": r.stock.bin_type, "lot_number": r.stock.lot_number, "expiry_date": r.stock.expiry_date,
                  "lot_on_hold": bool(r.stock.on_hold), "quantity": r.stock.quantity, "reserved": r.stock.reserved,
                  "available": r.stock.available} for r in found["items"]]
        return {**found, "items": items}
