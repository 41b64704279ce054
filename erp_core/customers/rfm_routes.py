"""RFM overview, the customers of one segment, and the admin's tier and RFM settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.guard import requires
from ..channels.models import Channel
from ..errors import ValidationFailed
from ..extensions import db
from . import services
from .domain import SEGMENTS, segment_counts
from .models import Customer
from .routes import _int, bp, paging
from .stats import rfm_scores

SEGMENT_PER_PAGE = 50


def _channels():
    return db.session.scalars(select(Channel).order_by(Channel.name)).all()


@bp.route("/rfm")
@requires("customers.view")
def rfm():
    settings = services.rfm_settings()
    channel_id = _int(request.args.get("channel"))
    scores = rfm_scores(settings, channel_id=channel_id)
    return render_template("customers/rfm.html", counts=segment_counts(scores), total=len(scores), settings=settings,
                           channels=_channels(), channel_id=channel_id)


@bp.route("/rfm/<segment>")
@requires("customers.view")
def segment(segment: str):
    if segment not in SEGMENTS:
        abort(404)
    settings = services.rfm_settings()
    channel_id = _int(request.args.get("channel"))
    members = [s for s in rfm_scores(settings, channel_id=channel_id) if s.segment == segment]
    page, pages = paging(len(members), SEGMENT_PER_PAGE)
    shown = members[(page - 1) * SEGMENT_PER_PAGE:page * SEGMENT_PER_PAGE]
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(
        Customer.id.in_([s.customer_id for s in shown])))}
    return render_template("customers/segment.html", segment=segment, scores=shown, customers=customers,
                           total=len(members), page=page, pages=pages, channels=_channels(), channel_id=channel_id)


def _tiers_from(form) -> list[dict]:
    tiers = []
    for i in range(int(form.get("tier_rows", "0") or 0)):
        code = form.get(f"code-{i}", "").strip()
        if code:
            tiers.append({"code": code[:20], "name": form.get(f"name-{i}", "").strip()[:40] or code,
                          "min_spend": form.get(f"min_spend-{i}", "0"), "min_orders": form.get(f"min_orders-{i}", "0")})
    return tiers


def _cuts(form, name: str, kind=int) -> list:
    try:
        return [kind(form.get(f"{name}-{i}", "")) for i in range(4)]
    except (ValueError, InvalidOperation) as error:
        raise ValidationFailed(f"the {name} cut-offs must be numbers", code="bad_customer_settings",
                               detail=name) from error


@bp.route("/settings", methods=["GET", "POST"])
@requires("customers.settings")
def settings():
    if request.method == "POST":
        rfm = {"window_days": request.form.get("window_days", "365"),
               "recency_days": _cuts(request.form, "recency_days"), "frequency": _cuts(request.form, "frequency"),
               "monetary": [str(v) for v in _cuts(request.form, "monetary", Decimal)]}
        try:
            rfm["window_days"] = int(rfm["window_days"])
        except ValueError as error:
            raise ValidationFailed("the window is a number of days", code="bad_customer_settings",
                                   detail="window_days") from error
        services.save_settings(rfm, _tiers_from(request.form), user_id=current_user.id)
        flash(_("Customer settings saved."), "success")
        return redirect(url_for("customers.settings"))
    return render_template("customers/settings.html", rules=services.tier_rules(), rfm=services.rfm_settings())
