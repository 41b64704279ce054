"""Sessions on screen: a user's active sessions in the admin (End, End all) and "My sessions"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError
from ..extensions import db
from ..messages import describe
from .guard import requires
from .models import User
from .routes import current_session_id, session_max_age
from .sessions import active_sessions, end_all_sessions, end_session

bp = Blueprint("sessions", __name__)


def sessions_of(user_id: int) -> list:
    return active_sessions(user_id, max_age=session_max_age())


@bp.route("/admin/users/<int:user_id>/sessions/<session_id>/end", methods=["POST"])
@requires("admin.users")
def admin_end(user_id: int, session_id: str):
    """The admin ends one browser's session of a user: that browser is logged out on its next request."""
    try:
        end_session(session_id, by_user_id=current_user.id, user_id=user_id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Session ended."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/sessions/end-all", methods=["POST"])
@requires("admin.users")
def admin_end_all(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    keep = current_session_id() if user.id == current_user.id else None
    ended = end_all_sessions(user.id, by_user_id=current_user.id, keep=keep, reason="ended by an admin")
    flash(_("%(count)d session(s) ended.", count=ended), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/account/sessions")
@requires("account.self")
def mine():
    return render_template("auth/my_sessions.html", sessions=sessions_of(current_user.id),
                           current_sid=current_session_id())


@bp.route("/account/sessions/<session_id>/end", methods=["POST"])
@requires("account.self")
def end_mine(session_id: str):
    try:
        end_session(session_id, by_user_id=current_user.id, user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Session ended."), "success")
    return redirect(url_for("sessions.mine"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@requires("account.self")
def end_my_others():
    ended = end_all_sessions(current_user.id, by_user_id=current_user.id, keep=current_session_id(),
                             reason="ended by the user")
    flash(_("%(count)d session(s) ended.", count=ended), "success")
    return redirect(url_for("sessions.mine"))
