"""Order intake screens: file imports with progress, manual order entry."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ..auth.guard import requires
from ..catalog.models import Sku
from ..catalog.services import find_sku_by_scan, sku_search
from ..config import PROJECT_ROOT
from ..errors import DomainError
from ..exports import CSV_MIMETYPE, download
from ..extensions import db
from ..messages import describe
from .forms import ImportForm, ManualOrderForm, add_scanned, draft_lines
from .importers import REASONS
from .jobs import (
    FINISHED,
    error_report_bytes,
    first_errors,
    get_job,
    is_stalled,
    recent_jobs,
    report_file,
    start_import_job,
)
from .manual import MANUAL_PLATFORMS, ManualOrder, create_manual_order
from .models import Channel

bp = Blueprint("intake", __name__)

TEMPLATE_FILE = PROJECT_ROOT / "docs" / "import-template.csv"

# The importers' stable error codes (erp_core/channels/importers/model.py REASONS), for the screen.
REASON_LABELS = {
    "bad_encoding": _l("file is not UTF-8 or GBK/GB18030 text"),
    "unreadable_file": _l("file cannot be read as CSV or XLSX"),
    "empty_file": _l("file has no header row"),
    "unknown_format": _l("file is not a known order export"),
    "missing_column": _l("required column is missing"),
    "missing_pair_file": _l("Taobao orders and items reports must be imported together"),
    "missing_order_number": _l("order number is empty"),
    "mangled_order_number": _l("order number was rounded by Excel (scientific notation); export it again"),
    "duplicate_order_in_file": _l("order number appears in two separate places in the file"),
    "duplicate_order_in_batch": _l("order already read from an earlier file of this import; skipped"),
    "conflicting_order_value": _l("value differs from an earlier row of the same order"),
    "order_without_lines": _l("order has no item lines in the items report"),
    "lines_without_order": _l("item line has no order in the orders report"),
    "missing_sku": _l("SKU is empty"),
    "unknown_sku": _l("SKU does not exist in the catalogue"),
    "bad_quantity": _l("quantity must be a whole number from 1 to 1000000"),
    "quantity_mismatch": _l("item quantities do not add up to the order's total quantity"),
    "bad_number": _l("not a valid non-negative amount"),
    "bad_date": _l("not a valid date and time"),
    "missing_recipient": _l("recipient name is empty"),
    "missing_phone": _l("recipient phone is empty"),
    "missing_address": _l("shipping address is incomplete"),
    "too_many_rows": _l("file has more rows than one import may hold; split it"),
    "file_too_large": _l("file unpacks to more than one import may hold; split it"),
    "zip_bomb": _l("file unpacks to far more than its size (a compressed bomb); not read"),
    "cell_too_long": _l("cell is longer than one import cell may be"),
}


def reason_label(code: str, reason: str) -> str:
    """The importers' stable reason in the user's language; other reasons (from storing) as written."""
    label = REASON_LABELS.get(code)
    return str(label) if label is not None and REASONS.get(code) == reason else reason


def shown_value(value: str) -> str:
    """A report cell without the apostrophe that keeps Excel from running it as a formula."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


# --- file imports ----------------------------------------------------------------------------------

def _channel_choices(platforms: tuple[str, ...] | None = None) -> list[tuple[int, str]]:
    stmt = select(Channel).where(Channel.active.is_(True)).order_by(Channel.code)
    if platforms is not None:
        stmt = stmt.where(Channel.platform.in_(platforms))
    return [(c.id, f"{c.code} · {c.name}") for c in db.session.scalars(stmt)]


@bp.route("/imports", methods=["GET", "POST"])
@requires("orders.create")
def imports():
    form = ImportForm()
    form.channel.choices = _channel_choices()
    if form.validate_on_submit():
        try:
            job = start_import_job(form.channel.data, form.uploads(), user_id=current_user.id)
        except DomainError as error:
            refused = error.code.startswith("import_")
            flash(describe(error) if refused else _("Choose an active shop and at least one file."), "error")
            return render_template("intake/imports.html", form=form, jobs=recent_jobs()), 422
        else:
            return redirect(url_for("intake.import_job", job_id=job.id))
    return render_template("intake/imports.html", form=form, jobs=recent_jobs())


def _job_context(job_id: int) -> dict:
    try:
        job = get_job(job_id)
    except DomainError:
        abort(404)
    errors = [{**row, "reason": reason_label(row.get("code", ""), row.get("reason", "")),
               "value": shown_value(row.get("value", ""))} for row in first_errors(job)]
    stalled = is_stalled(job)
    return {"job": job, "errors": errors, "finished": job.status in FINISHED or stalled, "stalled": stalled}


@bp.route("/imports/<int:job_id>")
@requires("orders.create")
def import_job(job_id: int):
    return render_template("intake/import_job.html", **_job_context(job_id))


@bp.route("/imports/<int:job_id>/progress")
@requires("orders.create")
def import_progress(job_id: int):
    return render_template("intake/_import_progress.html", **_job_context(job_id))


@bp.route("/imports/<int:job_id>/errors.csv")
@requires("orders.create")
def import_errors(job_id: int):
    try:
        job = get_job(job_id)
    except DomainError:
        abort(404)
    name = f"import-{job.id}-errors.csv"
    path = report_file(job)
    if path is None:  # no errors, or the file was purged: what the job kept
        return download(error_report_bytes(job), name, CSV_MIMETYPE)
    return send_file(path, mimetype=CSV_MIMETYPE, as_attachment=True, download_name=name, max_age=0)


@bp.route("/template.csv")
@requires("orders.create")
def template_csv():
    return send_file(TEMPLATE_FILE, mimetype="text/csv", as_attachment=True,
                     download_name="order-import-template.csv")


# --- manual order entry (手动录入) -------------------------------------------------------------------

def _lines_view(lines) -> list[dict]:
    """Draft lines with their SKU (None when the code is unknown) for the lines table."""
    skus = {s.code: s for s in db.session.scalars(select(Sku).where(Sku.code.in_([line.sku for line in lines])))}
    return [{"sku": line.sku, "quantity": line.quantity, "item": skus.get(line.sku),
             "valid": line.whole_quantity is not None} for line in lines]


def _order_page_url(order_id: int) -> str | None:
    """The order's own page, when the orders screens are installed."""
    path = f"/orders/{order_id}"
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return path


@bp.route("/orders/new", methods=["GET", "POST"])
@requires("orders.create")
def new_order():
    form = ManualOrderForm()
    form.channel.choices = _channel_choices(MANUAL_PLATFORMS)
    lines = draft_lines(request.form) if request.method == "POST" else []
    line_error = None
    if form.is_submitted():
        if not lines:
            line_error = _("Add at least one line: scan a barcode or search for a SKU.")
        elif any(line.whole_quantity is None for line in lines):
            line_error = _("Every quantity must be a whole number from 1 to 100000.")
    if form.validate_on_submit() and line_error is None:
        draft = ManualOrder(
            channel_id=form.channel.data, ship_name=form.buyer_name.data.strip(), ship_phone=form.phone.data.strip(),
            ship_province=form.province.data.strip(), ship_city=form.city.data.strip(),
            ship_district=(form.district.data or "").strip(), ship_address=form.address.data.strip(),
            ship_postcode=(form.postcode.data or "").strip(), buyer_note=(form.note.data or "").strip(),
            lines=[(line.sku, line.whole_quantity or 0) for line in lines])
        today = datetime.now(ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"])).date()
        try:
            order = create_manual_order(draft, day=today, user_id=current_user.id)
        except DomainError as error:
            line_error = describe(error)
        else:
            flash(_("Order %(number)s created.", number=order.external_id), "success")
            return redirect(_order_page_url(order.id) or url_for("intake.new_order"))
    status = 422 if form.is_submitted() else 200
    return render_template("intake/order_new.html", form=form, lines=_lines_view(lines),
                           line_error=line_error), status


@bp.route("/orders/new/lines", methods=["POST"])
@requires("orders.create")
def order_lines():
    """The lines table after a scan, a search pick or a removal (htmx)."""
    lines = draft_lines(request.form)
    message = None
    scanned = request.form.get("scan", "").strip()
    picked = request.form.get("add", "").strip()
    remove = request.form.get("remove", "").strip()
    if remove:
        lines = [line for line in lines if line.sku != remove]
    elif scanned or picked:
        sku = find_sku_by_scan(scanned) if scanned else db.session.scalar(select(Sku).filter_by(code=picked))
        if sku is None or not sku.active:
            message = _("No active SKU has the code %(code)s.", code=scanned or picked)
        else:
            lines = add_scanned(lines, sku.code)
    return render_template("intake/_order_lines.html", lines=_lines_view(lines), line_error=message)


@bp.route("/sku-search")
@requires("orders.create")
def sku_search_results():
    query = request.args.get("q", "").strip()
    skus = list(db.session.scalars(sku_search(query).where(Sku.active.is_(True)).limit(20))) if query else []
    return render_template("intake/_sku_results.html", skus=skus, query=query)
