"""Warehouse layout, bins, plan view, bin labels and slotting (office screens)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from erp_core.auth.guard import in_my_warehouses, requires
from erp_core.errors import DomainError
from erp_core.exports import CSV_MIMETYPE, download
from erp_core.extensions import db
from erp_core.fileimport import errors_to_csv
from erp_core.inventory.forms import bin_type_label
from erp_core.inventory.models import Location, Warehouse
from erp_core.inventory.stock_queries import warehouses_for
from erp_core.messages import describe

from ..documents import bin_label_sheet
from . import label_jobs
from . import plan as plans
from .forms import BinForm, ImportForm, LayoutForm, SpecialBinForm, import_error_text
from .label_jobs import bin_label, label_bins
from .layout import has_aisles, layout_spec, warehouse_geometry
from .layout_csv import CSV_COLUMNS, bins_csv, import_bins_csv
from .services import (
    SPECIAL_BIN_TYPES,
    add_special_bin,
    bin_has_moves,
    bin_position,
    create_layout,
    get_bin,
    on_hand,
    update_bin,
)

bp = Blueprint("locations", __name__)

MAX_LABELS = 2000
PERIODS = (7, 14, 30, 60, 90)


@bp.context_processor
def _helpers():
    return {"bin_type_label": bin_type_label, "import_error_text": import_error_text}


def _warehouse(warehouse_id: int) -> Warehouse:
    return in_my_warehouses(Warehouse, warehouse_id, warehouse_of=lambda wh: wh.id)


def _days(default: int = 30) -> int:
    days = request.args.get("days", default, type=int) or default
    return min(max(days, 1), 365)


def _flash_error(error: DomainError) -> None:
    flash(describe(error), "error")


@bp.route("/")
@requires("stock.view")
def index():
    warehouses = warehouses_for(current_user.warehouse_ids())
    counts = dict(db.session.execute(select(Location.warehouse_id, func.count(Location.id)).where(
        Location.kind == "bin", Location.bin_type != "tote").group_by(Location.warehouse_id)).all())
    return render_template("locations/index.html", warehouses=warehouses, counts=counts)


@bp.route("/<int:warehouse_id>")
@requires("stock.view")
def show(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    zones = plans.zones_overview(wh.id)
    aisle_id = request.args.get("aisle", type=int)
    aisle = db.session.get(Location, aisle_id) if aisle_id else None
    if aisle is None or aisle.warehouse_id != wh.id or aisle.kind != "aisle":
        aisle = next((a.location for z in zones for a in z.aisles), None)
    bins = plans.bins_of(wh.id, aisle_id=aisle.id) if aisle is not None else []
    return render_template("locations/show.html", wh=wh, zones=zones, aisle=aisle, bins=bins,
                           positions={b.location.id: bin_position(b.location) for b in bins},
                           specials=plans.bins_of(wh.id, aisle_id=None), spec=layout_spec(wh.id),
                           geometry=warehouse_geometry(wh.id))


@bp.route("/<int:warehouse_id>/layout/new", methods=["GET", "POST"])
@requires("locations.manage")
def new_layout(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    if has_aisles(wh.id):
        flash(_("This warehouse already has a layout."), "error")
        return redirect(url_for(".show", warehouse_id=wh.id))
    form = LayoutForm()
    if request.method == "GET":
        first = form.zones[0].form
        first.code.data, first.aisles.data, first.bays_per_aisle.data, first.levels.data = "A", 4, 20, 3
        first.reserve_from.data = 3
    elif form.validate_on_submit():
        try:
            count = create_layout(wh.id, form.spec())
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("Layout created: %(n)d bins.", n=count), "success")
            return redirect(url_for(".show", warehouse_id=wh.id))
    return render_template("locations/layout_new.html", wh=wh, form=form)


@bp.route("/<int:warehouse_id>/bins/<int:bin_id>/edit", methods=["GET", "POST"])
@requires("locations.manage")
def edit_bin(warehouse_id: int, bin_id: int):
    wh = _warehouse(warehouse_id)
    try:
        loc = get_bin(wh.id, bin_id)
    except DomainError:
        abort(404)
    if loc.bin_type == "tote":
        abort(404)  # carts and totes belong to picking
    locked = bin_has_moves(loc.id)
    form = BinForm(obj=loc)
    if form.validate_on_submit():
        try:
            update_bin(wh.id, loc.id, bin_type=form.bin_type.data, capacity=form.capacity.data,
                       active=form.active.data, code=form.code.data, barcode=form.barcode.data,
                       mixed_lots=form.mixed_lots.data)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("Bin %(code)s saved.", code=loc.code), "success")
            return redirect(url_for(".show", warehouse_id=wh.id, aisle=loc.parent_id if loc.aisle_no else None))
    return render_template("locations/bin_edit.html", wh=wh, bin=loc, form=form, locked=locked,
                           position=bin_position(loc), row=plans.BinRow(loc, on_hand(loc.id)))


@bp.route("/<int:warehouse_id>/bins/new", methods=["GET", "POST"])
@requires("locations.manage")
def new_bin(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    form = SpecialBinForm()
    if form.validate_on_submit():
        try:
            loc = add_special_bin(wh.id, form.code.data, form.bin_type.data, capacity=form.capacity.data,
                                  x=form.x.data, y=form.y.data)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("Bin %(code)s added.", code=loc.code), "success")
            return redirect(url_for(".show", warehouse_id=wh.id))
    return render_template("locations/bin_new.html", wh=wh, form=form)


@bp.route("/<int:warehouse_id>/bins.csv")
@requires("stock.view")
def export_bins(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    return download(bins_csv(wh.id), f"bins-{wh.code}.csv", CSV_MIMETYPE)


@bp.route("/<int:warehouse_id>/bins/import", methods=["GET", "POST"])
@requires("locations.manage")
def import_bins(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    form = ImportForm()
    result = None
    action = request.form.get("action", "import")
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "bins.csv"
        result = import_bins_csv(wh.id, name, upload.read(), dry_run=action != "import")
        if action == "report":
            return download(errors_to_csv(result.errors), f"bin-import-errors-{wh.code}.csv", CSV_MIMETYPE)
    return render_template("locations/import.html", wh=wh, form=form, result=result, checked=action != "import",
                           columns=CSV_COLUMNS)


@bp.route("/<int:warehouse_id>/plan")
@requires("stock.view")
def plan(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    mode = request.args.get("colour", "fill")
    if mode not in ("fill", "picks"):
        mode = "fill"
    days = _days()
    labels = {"picks": _("picks"), "bins": _("bins"), "front": _("Front cross aisle"), "back": _("Back cross aisle"),
              "middle": _("Middle cross aisle"), "no_picks": _("No picks"), "empty": _("Empty"),
              "over": _("Over capacity"), "no_capacity": _("Stock, no capacity set"),
              **{t: bin_type_label(t) for t in SPECIAL_BIN_TYPES}}
    floor = plans.floor_plan(wh.id, mode=mode, days=days, labels=labels)
    return render_template("locations/plan.html", wh=wh, floor=floor, mode=mode, days=days, periods=PERIODS)


@bp.route("/<int:warehouse_id>/labels")
@requires("stock.view")
def labels(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    scope, code = request.args.get("scope", "aisle"), request.args.get("code", "").strip()
    layout = request.args.get("layout", "sheet")
    lang = request.args.get("lang") or ("zh" if str(get_locale()).startswith("zh") else "en")
    if scope not in ("bin", "aisle", "zone") or layout not in ("sheet", "thermal") or lang not in ("en", "zh"):
        abort(400)
    bins = label_bins(wh, scope, code) if code else None
    if not bins:
        flash(_("Nothing to print: no bin, aisle or zone %(code)s in this warehouse.", code=code), "error")
        return redirect(url_for(".show", warehouse_id=wh.id))
    if len(bins) > MAX_LABELS:
        flash(_("Too many labels at once (%(n)d); print an aisle at a time.", n=len(bins)), "error")
        return redirect(url_for(".show", warehouse_id=wh.id))
    if len(bins) > label_jobs.immediate_limit():
        # ~35 ms of CPU a label: a large sheet is made in the background; its page offers the file.
        job = label_jobs.start_label_job(wh, bins, scope=scope, code=code, layout=layout, lang=lang,
                                         user_id=current_user.id)
        return redirect(url_for("jobs.show", job_id=job.id))
    pdf = bin_label_sheet([bin_label(wh, b) for b in bins], lang=lang, layout=layout)
    name = label_jobs.sheet_name(wh, code)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/<int:warehouse_id>/slotting")
@requires("stock.view")
def slotting(warehouse_id: int):
    wh = _warehouse(warehouse_id)
    days = _days()
    a = request.args.get("a", 80, type=int)
    b = request.args.get("b", 15, type=int)
    if a is None or b is None or not (1 <= a <= 100 and 0 <= b <= 100 - a):
        flash(_("A and B shares must be percentages that add up to at most 100."), "error")
        a, b = 80, 15
    report = plans.slotting_report(wh.id, days=days, a_share=a / 100, b_share=b / 100)
    return render_template("locations/slotting.html", wh=wh, report=report, days=days, a=a, b=b, periods=PERIODS)
