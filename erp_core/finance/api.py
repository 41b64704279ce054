"""REST resources of the books under /api/v1/finance: accounts, the journal (a cursor feed for an
accounting system, and manual entries), periods, currency rates, valuation and margins. Thin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import DecimalString, ErrorSchema, Money, Schema
from ..auth.guard import requires
from ..db import atomic
from ..extensions import db
from ..inventory.reservations import business_today
from . import costing, currency, journal, margins, services
from .domain import ACCOUNT_TYPES
from .models import Account, CurrencyRate, FinancePeriod, JournalEntry, JournalLine
from .postings import post_pending

bp = Blueprint("finance_api", __name__, description="The books (账簿): accounts, journal, periods, rates, "
                                                     "valuation, margins")
FEED_LIMIT = 500


class AccountSchema(Schema):
    class Meta:
        model = Account

    code = fields.String(required=True, validate=validate.Regexp(r"^\d{1,10}$"))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    name_zh = fields.String(load_default="", validate=validate.Length(0, 120))
    type = fields.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    active = fields.Boolean(dump_only=True)


class LineSchema(Schema):
    class Meta:
        model = JournalLine

    account = fields.Function(lambda line: line.account.code, deserialize=str, required=True,
                              validate=validate.Length(1, 10))
    debit = Money(load_default="0")
    credit = Money(load_default="0")
    base_debit = Money(dump_only=True)
    base_credit = Money(dump_only=True)
    memo = fields.String(load_default="", validate=validate.Length(0, 255))


class EntrySchema(Schema):
    class Meta:
        model = JournalEntry

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    entry_date = fields.Date(required=True)
    source = fields.String(dump_only=True)
    source_key = fields.String(dump_only=True)
    reference = fields.String(dump_only=True)
    memo = fields.String(required=True, validate=validate.Length(1, 255))
    currency = fields.String(load_default=None, validate=validate.Length(3, 3))
    rate = DecimalString(precision=18, scale=8, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(2, 200))


class FeedArgs(Schema):
    since = fields.DateTime(load_default=None, metadata={"description": "only entries posted at or after (ISO)"})
    cursor = fields.Integer(load_default=0, validate=validate.Range(min=0),
                            metadata={"description": "the next_cursor of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, FEED_LIMIT))


class FeedSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema))
    next_cursor = fields.Integer(metadata={"description": "pass as cursor for the next page (same when none)"})


class PeriodSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2200))
    month = fields.Integer(required=True, validate=validate.Range(1, 12))
    status = fields.String(dump_only=True)


class PeriodActionSchema(PeriodSchema):
    action = fields.String(required=True, validate=validate.OneOf(("close", "reopen")))


class RateSchema(Schema):
    class Meta:
        model = CurrencyRate

    currency = fields.String(required=True, validate=validate.Length(3, 3))
    day = fields.Date(required=True)
    rate = DecimalString(precision=18, scale=8, required=True, minimum_exclusive=0)


class ValuationArgs(Schema):
    date = fields.Date(load_default=None)
    warehouse_id = fields.Integer(load_default=None)


class ValuationRow(Schema):
    warehouse = fields.String()
    sku = fields.String()
    quantity = fields.Integer()
    unit_cost = DecimalString(precision=14, scale=4, dump_only=True)
    value = Money()


class MarginArgs(Schema):
    group = fields.String(load_default="order", validate=validate.OneOf(margins.GROUPS))
    # "from" is a Python keyword: the query names it, data_key maps it
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)
    channel_id = fields.Integer(load_default=None)


class MarginRow(Schema):
    key = fields.String()
    units = fields.Integer()
    revenue = Money()
    discount = Money()
    shipping_charged = Money()
    cogs = Money()
    shipping_cost = Money()
    fees = Money()
    gross_margin = Money(signed=True, dump_only=True)
    margin_pct = DecimalString(precision=None, scale=None, allow_none=True, dump_only=True)


@bp.route("/finance/accounts")
class Accounts(MethodView):
    @requires("finance.view")
    @bp.response(200, AccountSchema(many=True))
    def get(self):
        """The chart of accounts (会计科目)."""
        journal.ensure_chart()
        return db.session.scalars(select(Account).order_by(Account.code))

    @requires("finance.post")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(AccountSchema)
    @bp.response(201, AccountSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The code exists already (account_code_taken)")
    def post(self, data):
        """Add an account."""
        return journal.add_account(data["code"], data["name"], data["name_zh"], data["type"])


@bp.route("/finance/journal")
class Journal(MethodView):
    @requires("finance.view")
    @bp.arguments(FeedArgs, location="query")
    @bp.response(200, FeedSchema)
    def get(self, args):
        """The journal as a feed for an accounting system: entries in the order they were posted (by id),
        after `cursor`; pass the answer's next_cursor to get the next page. `since` keeps only entries
        posted at or after that moment. Entries are never changed once posted."""
        post_pending()
        query = select(JournalEntry).where(JournalEntry.id > args["cursor"]).order_by(JournalEntry.id)
        if args["since"] is not None:
            since = args["since"] if args["since"].tzinfo else args["since"].replace(tzinfo=ZoneInfo("UTC"))
            query = query.where(JournalEntry.created_at >= since)
        items = list(db.session.scalars(query.limit(args["limit"])))
        return {"items": items, "next_cursor": items[-1].id if items else args["cursor"]}

    @requires("finance.post")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(EntrySchema)
    @bp.response(201, EntrySchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The month is closed (period_closed)")
    @bp.alt_response(422, schema=ErrorSchema, description="Debits and credits differ (entry_unbalanced), "
                                                          "unknown account (unknown_account)")
    def post(self, data):
        """Post a manual entry (what the system does not see). Send an Idempotency-Key: a retry posts once."""
        from flask import request

        lines = services.parse_lines(data["lines"])
        return services.manual_entry(data["entry_date"], lines, memo=data["memo"],
                                     currency=data["currency"] or currency.base_currency(),
                                     key=request.headers.get("Idempotency-Key", ""), user_id=current_user.id)


@bp.route("/finance/periods")
class Periods(MethodView):
    @requires("finance.view")
    @bp.response(200, PeriodSchema(many=True))
    def get(self):
        """Months that were closed or reopened (a month without a row is open)."""
        return db.session.scalars(select(FinancePeriod).order_by(FinancePeriod.year, FinancePeriod.month))

    @requires("finance.post")
    @bp.arguments(PeriodActionSchema)
    @bp.response(200, PeriodSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="Already in that state (period_status_conflict)")
    def post(self, data):
        """Close or reopen a month: {year, month, action: close|reopen}."""
        return journal.set_period(data["year"], data["month"], "closed" if data["action"] == "close" else "open",
                                  user_id=current_user.id)


@bp.route("/finance/rates")
class Rates(MethodView):
    @requires("finance.view")
    @bp.response(200, RateSchema(many=True))
    def get(self):
        """Currency rates: base-currency units for one unit of the currency, per day."""
        return db.session.scalars(select(CurrencyRate).order_by(CurrencyRate.day.desc(), CurrencyRate.currency)
                                  .limit(1000))

    @requires("finance.post")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(RateSchema)
    @bp.response(201, RateSchema)
    def post(self, data):
        """Enter (or correct) a day's rate."""
        with atomic():
            return currency.set_rate(data["currency"], data["day"], data["rate"])


@bp.route("/finance/valuation")
class Valuation(MethodView):
    @requires("finance.view")
    @bp.arguments(ValuationArgs, location="query")
    @bp.response(200, ValuationRow(many=True))
    def get(self, args):
        """Inventory value at the end of `date` (default today): ledger quantity x the average cost then."""
        post_pending()
        allowed = current_user.warehouse_ids()
        rows = costing.valuation(args["date"] or business_today(), args["warehouse_id"])
        return [r for r in rows if allowed is None or r["warehouse_id"] in allowed]


@bp.route("/finance/margin")
class Margin(MethodView):
    @requires("finance.view")
    @bp.arguments(MarginArgs, location="query")
    @bp.response(200, MarginRow(many=True))
    def get(self, args):
        """Margins of the lines shipped from `from` to `to` (default this month), grouped by order, sku,
        channel or day."""
        post_pending()
        today = business_today()
        return margins.margins(args["group"], args["date_from"] or today.replace(day=1), args["date_to"] or today,
                               channel_id=args["channel_id"])
