"""Finance pages: the journal and manual entries, the chart of accounts, periods, currency rates,
supplier payments and the posting errors. (Valuation, margins, statements: report_routes.py, on the
same blueprint.) Thin: parse, call a service, render. Every page posts what the outbox holds for
finance first, so the figures shown include the last shipment."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..inventory.reservations import business_today
from ..messages import describe, describe_code
from ..purchasing.models import Supplier
from . import currency, journal, services
from .domain import ACCOUNT_TYPES
from .models import Account, CurrencyRate, FinancePeriod, JournalEntry, SupplierPayment
from .postings import post_pending, posting_errors, retry_message

bp = Blueprint("finance", __name__)
PAGE = 100


def parse_day(value: str | None, default: date | None = None) -> date:
    if not value:
        return default or business_today()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValidationFailed(f"{value!r} is not a date", code="bad_date", value=value) from error


@bp.before_request
def _post_first():
    post_pending()
    journal.ensure_chart()


@bp.context_processor
def _helpers():
    return {"account_types": ACCOUNT_TYPES, "error_count": len(posting_errors(50))}


def _back(endpoint: str, error: DomainError | None = None, **values):
    if error is not None:
        flash(describe(error), "error")
    return redirect(url_for(endpoint, **values))


# --- Journal --------------------------------------------------------------------------------------

@bp.route("/")
@bp.route("/journal")
@requires("finance.view")
def journal_page():
    try:
        day_from = parse_day(request.args.get("from"), date(2000, 1, 1))
        day_to = parse_day(request.args.get("to"), date(2200, 1, 1))
    except DomainError as error:
        return _back("finance.journal_page", error)
    entries = db.session.scalars(select(JournalEntry).where(JournalEntry.entry_date >= day_from,
                                                            JournalEntry.entry_date <= day_to)
                                 .order_by(JournalEntry.entry_date.desc(), JournalEntry.id.desc()).limit(PAGE))
    return render_template("finance/journal.html", entries=list(entries), args=request.args)


@bp.route("/journal/<int:entry_id>")
@requires("finance.view")
def entry_page(entry_id: int):
    return render_template("finance/entry.html", entry=journal.get_entry(entry_id))


@bp.route("/journal/new", methods=["GET", "POST"])
@requires("finance.post")
def entry_new():
    accounts = list(db.session.scalars(select(Account).where(Account.active.is_(True)).order_by(Account.code)))
    if request.method == "POST":
        rows = [{"account": a, "debit": d, "credit": c, "memo": m} for a, d, c, m in zip(
            request.form.getlist("account"), request.form.getlist("debit"), request.form.getlist("credit"),
            request.form.getlist("line_memo"), strict=False)]
        try:
            entry = services.manual_entry(parse_day(request.form.get("entry_date")), services.parse_lines(rows),
                                          memo=request.form.get("memo", ""),
                                          currency=request.form.get("currency") or currency.base_currency(),
                                          key=request.form.get("token", ""), user_id=current_user.id)
        except DomainError as error:
            flash(describe(error), "error")
            return render_template("finance/entry_new.html", accounts=accounts, form=request.form,
                                   token=request.form.get("token") or uuid.uuid4().hex), error.status
        flash(_("Entry %(number)s posted.", number=entry.number), "success")
        return redirect(url_for("finance.entry_page", entry_id=entry.id))
    return render_template("finance/entry_new.html", accounts=accounts, form={}, token=uuid.uuid4().hex)


# --- Accounts -------------------------------------------------------------------------------------

@bp.route("/accounts", methods=["GET", "POST"])
@requires("finance.view")
def accounts_page():
    if request.method == "POST":
        if not current_user.can("finance.post"):
            abort(403)
        form = request.form
        try:
            account = journal.add_account(form.get("code", ""), form.get("name", ""), form.get("name_zh", ""),
                                          form.get("type", ""))
        except DomainError as error:
            return _back("finance.accounts_page", error)
        flash(_("Account %(code)s added.", code=account.code), "success")
        return redirect(url_for("finance.accounts_page"))
    accounts = db.session.scalars(select(Account).order_by(Account.code))
    return render_template("finance/accounts.html", accounts=list(accounts))


# --- Periods --------------------------------------------------------------------------------------

@bp.route("/periods")
@requires("finance.view")
def periods_page():
    periods = db.session.scalars(select(FinancePeriod).order_by(FinancePeriod.year.desc(), FinancePeriod.month.desc()))
    return render_template("finance/periods.html", periods=list(periods), today=business_today())


@bp.route("/periods/set", methods=["POST"])
@requires("finance.post")
def period_set():
    """The month picker's form: month=YYYY-MM, action=close|reopen."""
    try:
        year, month = (int(x) for x in request.form.get("month", "").split("-"))
    except ValueError:
        flash(describe_code("bad_period", "not a month", period=request.form.get("month", "")), "error")
        return redirect(url_for("finance.periods_page")), 422
    return period_action(year, month, request.form.get("action", "close"))


@bp.route("/periods/<int:year>/<int:month>/<action>", methods=["POST"])
@requires("finance.post")
def period_action(year: int, month: int, action: str):
    status = {"close": "closed", "reopen": "open"}.get(action)
    try:
        if status is None:
            raise ValidationFailed("close or reopen", code="bad_period", period=f"{year}-{month}")
        journal.set_period(year, month, status, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("finance.periods_page")), error.status
    flash(_("Period %(period)s: %(status)s.", period=f"{year}-{month:02d}",
            status=_("closed") if status == "closed" else _("open")), "success")
    return redirect(url_for("finance.periods_page"))


# --- Currency rates -------------------------------------------------------------------------------

@bp.route("/rates", methods=["GET", "POST"])
@requires("finance.view")
def rates_page():
    if request.method == "POST":
        if not current_user.can("finance.post"):
            abort(403)
        try:
            upload = request.files.get("file")
            if upload and upload.filename:
                count = currency.import_rates(upload.read().decode("utf-8-sig", errors="replace"))
                flash(_("%(count)s rates imported.", count=count), "success")
            else:
                currency.set_rate(request.form.get("currency", ""), parse_day(request.form.get("day")),
                                  request.form.get("rate", ""))
                flash(_("Rate saved."), "success")
        except DomainError as error:
            return _back("finance.rates_page", error)
        return redirect(url_for("finance.rates_page"))
    rates = db.session.scalars(select(CurrencyRate).order_by(CurrencyRate.day.desc(), CurrencyRate.currency).limit(200))
    return render_template("finance/rates.html", rates=list(rates), base=currency.base_currency())


# --- Supplier payments ----------------------------------------------------------------------------

@bp.route("/supplier-payments", methods=["GET", "POST"])
@requires("finance.view")
def supplier_payments_page():
    if request.method == "POST":
        if not current_user.can("finance.post"):
            abort(403)
        form = request.form
        try:
            payment = services.record_supplier_payment(
                form.get("supplier", ""), form.get("amount", ""), parse_day(form.get("paid_on")),
                currency=form.get("currency", ""), purchase_order=form.get("purchase_order", ""),
                note=form.get("note", ""), user_id=current_user.id)
        except DomainError as error:
            return _back("finance.supplier_payments_page", error)
        post_pending()
        flash(_("Payment of %(amount)s %(currency)s to %(supplier)s recorded.", amount=payment.amount,
                currency=payment.currency, supplier=payment.supplier_code), "success")
        return redirect(url_for("finance.supplier_payments_page"))
    payments = db.session.scalars(select(SupplierPayment).order_by(SupplierPayment.id.desc()).limit(PAGE))
    suppliers = db.session.scalars(select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.code))
    return render_template("finance/supplier_payments.html", payments=list(payments), suppliers=list(suppliers))


# --- Posting errors -------------------------------------------------------------------------------

def error_text(last_error: str) -> str:
    """A refused posting's reason in the reader's language (the handler stored code and details)."""
    import json

    try:
        found = json.loads(last_error)
        return describe_code(found["code"], found.get("message", ""), **found.get("details", {}))
    except (ValueError, KeyError, TypeError):
        return last_error


@bp.route("/posting-errors")
@requires("finance.view")
def posting_errors_page():
    return render_template("finance/posting_errors.html", messages=posting_errors(), error_text=error_text)


@bp.route("/posting-errors/<int:message_id>/retry", methods=["POST"])
@requires("finance.post")
def posting_retry(message_id: int):
    try:
        retry_message(message_id)
    except DomainError as error:
        return _back("finance.posting_errors_page", error)
    result = post_pending()
    flash(_("Retried: %(sent)s posted, %(failed)s refused.", sent=result["sent"], failed=result["failed"]), "info")
    return redirect(url_for("finance.posting_errors_page"))


from . import report_routes  # noqa: E402,F401  (adds the report pages to bp)
