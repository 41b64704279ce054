"""Settings > Webhooks pages (/settings/webhooks): the subscriptions, a new one (its secret shown once),
one subscription with its delivery log, change / switch off / delete, a new secret, replay (HTMX). Thin."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.guard import requires
from ..errors import DomainError
from ..extensions import db
from ..messages import describe
from ..navigation import register_nav_link
from . import services
from .models import DELIVERY_STATUSES, EVENT_TYPES

bp = Blueprint("webhooks", __name__)
PERMISSION = "webhooks.manage"
PER_PAGE = 50

EVENT_LABELS = {
    "order.created": _l("Order created"),
    "order.status_changed": _l("Order status changed"),
    "shipment.shipped": _l("Shipment shipped"),
    "tracking.exception": _l("Tracking exception"),
    "stock.below_reorder_point": _l("Stock below reorder point"),
}
STATUS_LABELS = {"pending": _l("Pending"), "delivered": _l("Delivered"), "failed": _l("Failed")}


def _labels() -> dict:
    return {"event_types": EVENT_TYPES, "event_labels": EVENT_LABELS, "status_labels": STATUS_LABELS,
            "statuses": DELIVERY_STATUSES}


def _index(status: int = 200, **extra):
    subscriptions = list(db.session.scalars(services.subscriptions_query()))
    return render_template("webhooks/index.html", subscriptions=subscriptions, **_labels(), **extra), status


def _show(subscription_id: int, status: int = 200, **extra):
    subscription = services.get_subscription(subscription_id)
    wanted = request.args.get("status") or None
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = services.deliveries_query(subscription.id, wanted)
    deliveries = list(db.session.scalars(stmt.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    return render_template("webhooks/show.html", subscription=subscription, deliveries=deliveries[:PER_PAGE],
                           more=len(deliveries) > PER_PAGE, page=page, wanted=wanted, **_labels(), **extra), status


@bp.route("/")
@requires(PERMISSION)
def index():
    return _index()


@bp.route("/", methods=["POST"])
@requires(PERMISSION)
def create():
    form = request.form
    try:
        subscription, secret = services.create_subscription(
            form.get("url", ""), form.getlist("events"), description=form.get("description", ""),
            user_id=current_user.id)
    except DomainError as refusal:
        return _index(422, message=describe(refusal), typed=form)
    return _index(201, new_secret=secret, created=subscription)


@bp.route("/<int:subscription_id>")
@requires(PERMISSION)
def show(subscription_id: int):
    return _show(subscription_id)


@bp.route("/<int:subscription_id>", methods=["POST"])
@requires(PERMISSION)
def update(subscription_id: int):
    form = request.form
    try:
        services.update_subscription(subscription_id, url=form.get("url", ""), events=form.getlist("events"),
                                     description=form.get("description", ""), active=form.get("active") == "1")
    except DomainError as refusal:
        return _show(subscription_id, 422, message=describe(refusal))
    flash(_("Webhook saved."), "success")
    return redirect(url_for("webhooks.show", subscription_id=subscription_id))


@bp.route("/<int:subscription_id>/rotate-secret", methods=["POST"])
@requires(PERMISSION)
def rotate_secret(subscription_id: int):
    _subscription, secret = services.rotate_secret(subscription_id)
    return _show(subscription_id, new_secret=secret)


@bp.route("/<int:subscription_id>/delete", methods=["POST"])
@requires(PERMISSION)
def delete(subscription_id: int):
    services.delete_subscription(subscription_id)
    flash(_("Webhook deleted."), "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/deliveries/<int:delivery_id>/replay", methods=["POST"])
@requires(PERMISSION)
def replay(delivery_id: int):
    delivery = services.replay_delivery(delivery_id)
    if request.headers.get("HX-Request"):
        return render_template("webhooks/_delivery.html", delivery=delivery, **_labels())
    flash(_("The delivery is sent again within a minute."), "success")
    return redirect(url_for("webhooks.show", subscription_id=delivery.subscription_id))


def register_webhooks_ui(app: Flask) -> None:
    """The pages, under /settings/webhooks, and their link in the Settings menu."""
    app.register_blueprint(bp, url_prefix="/settings/webhooks")
    register_nav_link("settings", "webhooks.index", _l("Webhooks"), PERMISSION)
