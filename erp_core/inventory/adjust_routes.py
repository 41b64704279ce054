"""The stock adjustment screen (库存调整) of the `stock` blueprint: a counted quantity of a SKU in a bin,
with a reason; for a lot-tracked SKU, of one lot (a lot in the bin, or a new lot with its expiry)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guard import requires
from ..catalog.models import Sku
from ..catalog.services import find_sku_by_scan
from ..db import atomic
from ..errors import DomainError, InsufficientStock
from ..messages import describe
from . import stock_queries
from .forms import AdjustForm
from .lots import find_lot, get_or_create_lot, normalise_lot_number
from .models import Location, Lot
from .routes import _allowed, _warehouse_choices, bp
from .services import adjust_counted


@dataclass(frozen=True)
class _Target:
    bin: Location
    sku: Sku
    quantity: int
    reserved: int
    lot: Lot | None = None               # the lot adjusted (an existing one)
    new_lot: str = ""                    # a lot number the books do not know yet: created on posting
    lots: list[stock_queries.LotInBin] = field(default_factory=list)  # the SKU's lots in the bin

    @property
    def lot_label(self) -> str:
        return self.lot.lot_number if self.lot is not None else self.new_lot


def _resolve(form: AdjustForm) -> _Target | None:
    """The bin, SKU (and lot) the form names, with their quantity now; errors go on the form's fields."""
    warehouse_id = form.warehouse_id.data
    if not warehouse_id or not current_user.may_access_warehouse(warehouse_id):
        form.warehouse_id.errors = [_("Choose a warehouse.")]
        return None
    location = stock_queries.find_bin(warehouse_id, form.bin_code.data or "")
    item = find_sku_by_scan(form.sku.data or "") if (form.sku.data or "").strip() else None
    if location is None:
        form.bin_code.errors = [_("No bin with this code or barcode in the warehouse.")]
    if item is None:
        form.sku.errors = [_("No SKU with this code or barcode.")]
    if location is None or item is None:
        return None
    if not item.lot_tracked:
        quantity, reserved = stock_queries.quant_in(item.id, location.id)
        return _Target(location, item, quantity, reserved)
    lots = stock_queries.lots_in_bin(item.id, location.id)
    text = (form.lot.data or "").strip()
    if not text:  # the SKU in the bin, every lot together, until a lot is chosen
        quantity, reserved = stock_queries.quant_in(item.id, location.id)
        return _Target(location, item, quantity, reserved, lots=lots)
    try:
        lot = find_lot(item.id, text)
    except DomainError as error:
        form.lot.errors = [describe(error)]
        return None
    if lot is None:
        return _Target(location, item, 0, 0, new_lot=normalise_lot_number(text), lots=lots)
    quantity, reserved = stock_queries.quant_in(item.id, location.id, lot.id)
    return _Target(location, item, quantity, reserved, lot=lot, lots=lots)


def _adjust_form() -> AdjustForm:
    form = AdjustForm() if request.method == "POST" else AdjustForm(formdata=request.args or None)
    form.warehouse_id.choices = _warehouse_choices(stock_queries.warehouses_for(_allowed()))
    if form.warehouse_id.data is None and form.warehouse_id.choices:
        form.warehouse_id.data = form.warehouse_id.choices[0][0]
    return form


def _post(form: AdjustForm, target: _Target):
    """Post the counted quantity; a redirect when done, None when the form shows errors."""
    if target.sku.lot_tracked and not target.lot_label:
        form.lot.errors = [_("%(sku)s is tracked by lot: choose the lot in the bin or type a new one.",
                             sku=target.sku.code)]
        return None
    try:
        with atomic():  # a new lot and its first count, or neither
            lot = target.lot
            if target.new_lot:
                lot = get_or_create_lot(target.sku, target.new_lot, expiry_date=form.expiry.data)
            move = adjust_counted(target.sku.id, target.bin.id, form.counted.data, reason_code=form.reason.data,
                                  note=form.note.data or "", user_id=current_user.id,
                                  lot_id=lot.id if lot else None)
    except InsufficientStock:
        form.counted.errors = [_("Cannot set the count to %(n)d: %(r)d units in this bin are reserved "
                                 "for orders. Nothing was changed.", n=form.counted.data, r=target.reserved)]
        return None
    except DomainError as error:  # a new lot without its expiry, an expiry differing from the lot's ...
        form.lot.errors = [describe(error)]
        return None
    what = f"{target.sku.code} ({_('lot')} {target.lot_label})" if target.lot_label else target.sku.code
    if move is None:
        flash(_("No change: %(sku)s in %(bin)s already has %(n)d.", sku=what, bin=target.bin.code,
                n=form.counted.data), "success")
    else:
        flash(_("%(sku)s in %(bin)s set to %(n)d (was %(was)d).", sku=what, bin=target.bin.code,
                n=form.counted.data, was=target.quantity), "success")
    return redirect(url_for(".adjust", warehouse_id=form.warehouse_id.data, bin_code=form.bin_code.data))


@bp.route("/adjust", methods=["GET", "POST"])
@requires("stock.adjust")
def adjust():
    form = _adjust_form()
    target = None
    status = 200
    if request.method == "GET":
        if form.bin_code.data and form.sku.data:
            target = _resolve(form)
    elif form.validate():
        target = _resolve(form)
        if target is not None and request.form.get("action") == "post":
            if form.counted.data is None:
                form.counted.errors = [_("Enter the counted quantity.")]
            if not form.reason.data:
                form.reason.errors = [_("Choose a reason.")]
            if form.counted.data is not None and form.reason.data:
                done = _post(form, target)
                if done is not None:
                    return done
        if any(f.errors for f in form):
            status = 422
    else:
        status = 422
    return render_template("stock/adjust.html", form=form, target=target), status


@bp.route("/adjust/current")
@requires("stock.adjust")
def adjust_current():
    """The quantity now in the scanned bin, per lot for a tracked SKU (an htmx fragment of the page)."""
    form = _adjust_form()
    target = _resolve(form) if form.bin_code.data and form.sku.data else None
    return render_template("stock/_adjust_current.html", form=form, target=target, standalone=True)
