"""Catalog screens: SKUs, kits, import and export."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from ..auth.guard import requires
from ..errors import DomainError
from ..exports import CSV_MIMETYPE, XLSX_MIMETYPE, download
from ..extensions import db
from ..fileimport import RowError, errors_to_csv
from ..messages import describe
from .forms import CatalogImportForm, KitForm, LotSetupForm
from .io import export_csv, export_xlsx, import_catalog
from .models import KitComponent, Sku
from .services import kit_components_of, set_kit_components, sku_search, update_sku

bp = Blueprint("catalog", __name__)

PER_PAGE = 50

# The catalog import's error codes (erp_core/catalog/io.py CATALOG_REASONS and service codes).
REASON_LABELS = {
    "unreadable_file": _l("file cannot be read as CSV or XLSX"),
    "bad_encoding": _l("file is not UTF-8 or GBK/GB18030 text"),
    "empty_file": _l("file has no header row"),
    "missing_column": _l("required column is missing"),
    "missing_code": _l("SKU code is empty"),
    "missing_name": _l("a new SKU needs a name"),
    "too_long": _l("value is too long"),
    "bad_whole_number": _l("not a whole number of 0 or more"),
    "bad_number": _l("not a valid non-negative amount"),
    "bad_flag": _l("not one of true, false, 1, 0, yes, no"),
    "bad_url": _l("image link must start with http:// or https://"),
    "bad_kit_component": _l("kit components are written CODE*QUANTITY, separated by |"),
    "duplicate_code_in_file": _l("SKU code appears on an earlier row of the file"),
    "invalid_barcode": _l("barcode is not valid (wrong check digit, characters a scanner cannot send, "
                          "or a number Excel shows as 6.9E+12)"),
    "barcode_taken": _l("barcode belongs to another SKU"),
    "unknown_sku": _l("component SKU does not exist"),
    "kit_in_kit": _l("a kit cannot contain another kit"),
    "kit_contains_itself": _l("a kit cannot contain itself"),
    "component_cannot_be_kit": _l("a component of a kit cannot become a kit"),
    "duplicate_component": _l("component listed twice"),
    "bad_life_days": _l("days must be a whole number: shelf life at least 1, a minimum at least 0"),
    "min_life_over_shelf_life": _l("a minimum number of days left cannot exceed the shelf life"),
    "lot_tracking_stock_on_hand": _l("lot tracking cannot be switched while stock that does not fit is on hand"),
}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.route("/")
@requires("catalog.view")
def index():
    query = request.args.get("q", "").strip()
    stmt = sku_search(query)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    skus = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return render_template("catalog/index.html", skus=skus, query=query, page=page, pages=pages, total=total)


@bp.route("/import", methods=["GET", "POST"])
@requires("catalog.edit")
def import_file():
    form = CatalogImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = import_catalog(upload.filename, upload.read())
        flash(_("%(created)d SKUs created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rows "
                "rejected.", created=len(report.created), updated=len(report.updated),
                unchanged=len(report.unchanged), rejected=len({(e.file, e.line) for e in report.errors})),
              "error" if report.errors else "success")
    errors = [{"file": e.file, "line": e.line, "column": e.column, "code": e.code, "value": e.value,
               "reason": str(REASON_LABELS.get(e.code, e.reason)), "raw_reason": e.reason}
              for e in (report.errors if report else [])]
    return render_template("catalog/import.html", form=form, report=report, errors=errors,
                           errors_json=json.dumps(errors, ensure_ascii=False))


@bp.route("/import/errors.csv", methods=["POST"])
@requires("catalog.edit")
def import_errors():
    """The error report of the import just shown, rebuilt from the page (nothing is kept on the server)."""
    try:
        rows = json.loads(request.form.get("errors", "[]"))
        errors = [RowError(str(r["file"]), int(r["line"]) if r.get("line") is not None else None, str(r["column"]),
                           str(r["code"]), str(r["raw_reason"]), str(r["value"])) for r in rows]
    except (ValueError, KeyError, TypeError):
        abort(400)
    return download(errors_to_csv(errors), "catalog-import-errors.csv", CSV_MIMETYPE)


@bp.route("/export.csv")
@requires("catalog.edit")  # cost prices only with catalog.cost
def export_as_csv():
    return download(export_csv(with_cost=current_user.can("catalog.cost")), "catalog.csv", CSV_MIMETYPE)


@bp.route("/export.xlsx")
@requires("catalog.edit")  # cost prices only with catalog.cost
def export_as_xlsx():
    return download(export_xlsx(with_cost=current_user.can("catalog.cost")), "catalog.xlsx", XLSX_MIMETYPE)


@bp.route("/kits", methods=["POST"])
@requires("catalog.edit")
def save_kit():
    code = request.form.get("code", "")
    sku = db.session.scalar(select(Sku).filter_by(code=code)) or abort(404)
    form = KitForm()
    if form.validate_on_submit():
        try:
            set_kit_components(sku.code, form.parsed())
        except ValidationError as error:
            flash(str(error), "error")
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Kit components of %(code)s saved.", code=sku.code), "success")
    return redirect(url_for("catalog.detail", code=sku.code))


@bp.route("/lots", methods=["POST"])
@requires("catalog.edit")
def save_lot_setup():
    code = request.form.get("code", "")
    sku = db.session.scalar(select(Sku).filter_by(code=code)) or abort(404)
    form = LotSetupForm()
    if form.validate_on_submit():
        try:
            update_sku(sku, **form.values())
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Lot set-up of %(code)s saved.", code=sku.code), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("catalog.detail", code=sku.code))


def _shop_rules(sku: Sku) -> list[dict]:
    """The shops' platform rules (share of shelf life left at shipment) and what they mean in days here."""
    from ..channels.models import Channel
    from ..inventory.lot_rules import shipping_limit
    from ..inventory.lots import shelf_life
    from ..inventory.reservations import business_today

    today, rule = business_today(), shelf_life(sku)
    return [{"channel": channel, "percent": channel.min_ship_life_percent,
             "days": (shipping_limit(today, rule, channel_percent=channel.min_ship_life_percent) - today).days}
            for channel in db.session.scalars(select(Channel).where(Channel.min_ship_life_percent.is_not(None))
                                              .order_by(Channel.code))]


@bp.route("/<path:code>")
@requires("catalog.view")
def detail(code: str):
    sku = db.session.scalar(select(Sku).filter_by(code=code)) or abort(404)
    components = kit_components_of(sku)
    used_in = list(db.session.scalars(select(Sku).join(KitComponent, KitComponent.kit_sku_id == Sku.id)
                                      .where(KitComponent.component_sku_id == sku.id).order_by(Sku.code)))
    form = KitForm(components="|".join(f"{c.component.code}*{c.quantity}" for c in components))
    lot_form = LotSetupForm(formdata=None, obj=sku)
    return render_template("catalog/detail.html", sku=sku, components=components, used_in=used_in, form=form,
                           lot_form=lot_form, shop_rules=_shop_rules(sku))
