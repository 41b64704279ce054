"""Channel pull feeds: settings, cursor and 'pull now'."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..auth.guard import requires
from ..db import atomic
from ..errors import DomainError
from ..extensions import db
from ..messages import describe
from .adapters import ADAPTERS
from .models import Channel
from .pull import MAX_INTERVAL_MINUTES, pull_channel, pull_state, update_feed_settings
from .shop_rules import set_min_ship_life_percent

bp = Blueprint("feeds", __name__)

ADAPTER_LABELS = {"json_feed": _l("JSON order feed")}


class FeedForm(FlaskForm):
    adapter = SelectField(_l("Adapter"), choices=[])
    feed_url = StringField(_l("Feed URL"), validators=[Optional(), Length(max=500)])
    feed_token = PasswordField(_l("Token"), validators=[Optional(), Length(max=500)])
    clear_token = BooleanField(_l("Remove the saved token"))
    interval = IntegerField(_l("Pull every (minutes)"),
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_INTERVAL_MINUTES)])
    reset_cursor = BooleanField(_l("Start again from the beginning of the feed"))
    min_ship_life_percent = IntegerField(_l("Shelf life left at shipment (%, platform rule; empty = none)"),
                                         validators=[Optional(), NumberRange(min=1, max=100)])


@bp.route("/")
@requires("orders.view")
def index():
    channels = list(db.session.scalars(select(Channel).order_by(Channel.code)))
    return render_template("feeds/index.html", channels=channels, states={c.id: pull_state(c) for c in channels},
                           adapter_labels=ADAPTER_LABELS)


@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@requires("orders.create")
def edit(channel_id: int):
    channel = db.session.get(Channel, channel_id) or abort(404)
    form = FeedForm(data=None if request.method == "POST" else {
        "adapter": channel.adapter, "feed_url": channel.feed_url, "interval": channel.pull_interval_minutes,
        "min_ship_life_percent": channel.min_ship_life_percent})
    form.adapter.choices = [("", _("None (no pulling)"))] + [(name, str(ADAPTER_LABELS.get(name, name)))
                                                              for name in ADAPTERS]
    if form.validate_on_submit():
        try:
            with atomic():  # the feed and the shop rule are saved together or not at all
                update_feed_settings(channel.id, adapter=form.adapter.data, feed_url=form.feed_url.data or "",
                                     interval_minutes=form.interval.data, feed_token=form.feed_token.data or None,
                                     clear_token=form.clear_token.data, reset_cursor=form.reset_cursor.data)
                set_min_ship_life_percent(channel.id, form.min_ship_life_percent.data)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Feed settings of %(code)s saved.", code=channel.code), "success")
            return redirect(url_for("feeds.index"))
    return render_template("feeds/edit.html", form=form, channel=channel, has_token=bool(channel.feed_token))


@bp.route("/<int:channel_id>/pull", methods=["POST"])
@requires("orders.create")
def pull(channel_id: int):
    channel = db.session.get(Channel, channel_id) or abort(404)
    code = channel.code
    try:
        result = pull_channel(channel_id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("feeds.index"))
    failure = describe(result.failure_error) if result.failure_error else result.failure
    return render_template("feeds/pull_result.html", code=code, channel_id=channel_id, result=result,
                           failure=failure)
