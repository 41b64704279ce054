"""Login by password or badge scan, logout, and the user's own settings."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..audit.log import record
from ..extensions import limiter, login_manager
from ..i18n import LOCALES
from ..reports.home import has_home
from .forms import BadgeForm, LoginForm
from .guard import public, requires
from .models import User
from .services import authenticate, authenticate_badge, set_locale
from .sessions import create_session, end_session, session_digest, user_for_session

bp = Blueprint("auth", __name__)


def session_max_age() -> timedelta:
    return timedelta(seconds=int(current_app.config["PERMANENT_SESSION_LIFETIME"]))


@login_manager.user_loader
def _load_user(session_token: str) -> User | None:
    """The user of the session the cookie names (Flask-Login's `_user_id` is the session token, see
    User.get_id), while that session lives. Pages, the API with a cookie and socket events alike."""
    if not session_token:
        return None
    return user_for_session(session_token, max_age=session_max_age())


def current_session_id() -> str | None:
    """The id (token digest) of the session this request runs in; None for API tokens and visitors."""
    token = getattr(current_user, "session_token", None) if current_user.is_authenticated else None
    return session_digest(token) if token else None


# Roles whose work is on the handheld: their login lands on its task menu, not the office dashboard.
HANDHELD_ROLES = frozenset({"picker", "packer"})


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _password_login_key() -> str:
    """Failed password logins are counted per username and client address: a typo-prone user is slowed
    down without locking out the colleagues behind the same Wi-Fi gateway (one address for all)."""
    username = (request.form.get("username") or "").strip().lower()
    return f"login:{username}:{request.remote_addr}"


def _badge_login_key() -> str:
    return f"login-badge:{request.remote_addr}"  # an unknown badge names no user: per address


def _failed(response) -> bool:
    """Only refusals count against the limit: a shift of pickers logging in at once is not an attack."""
    return response.status_code == 401


def _safe_path(target: str | None) -> str | None:
    """Only same-site relative paths: an open redirect would make the login page a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None


def _safe_next(target: str | None) -> str:
    return _safe_path(target) or url_for("dashboard.index")


def _landing(user: User, *, badge: bool = False) -> str:
    """Where a login goes: the page asked for; else the handheld menu for a badge scan, a floor role
    or a login started on the handheld; else the role's home page (erp_core.reports.home) or the dashboard."""
    wanted = _safe_path(request.args.get("next"))
    dashboard = url_for("dashboard.index")
    if user.role == "supplier":  # an outside user: its purchase orders are all it has here
        return wanted if wanted and wanted != dashboard else url_for("purchasing.orders")
    handheld = badge or user.role in HANDHELD_ROLES or request.values.get("hh") == "1"
    home = has_home(user)
    # `next=/` is only the guard sending someone who opened the site's root: no page was asked for.
    if wanted and not ((handheld or home) and wanted == dashboard):
        return wanted
    if handheld:
        return url_for("handheld.home")
    return url_for("home.index") if home else dashboard


def _start_session(user: User, remember: bool = False, *, how: str = "password") -> None:
    session.clear()  # a fresh session on login: no fixation
    user.session_token = create_session(user.id, ip=request.remote_addr or "",
                                        user_agent=request.headers.get("User-Agent", ""))
    login_user(user, remember=remember)
    session.permanent = True
    record("auth.login", "user", user.id, after={"by": how}, summary=f"{user.username} logged in ({how})",
           user_id=user.id, username=user.username)


def _login_refused(username: str, how: str) -> None:
    record("auth.login_failed", "user", "", after={"by": how, "username": username[:64]},
           summary=f"login refused ({how}): {username[:64]}", username=username[:64])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_password_login_key, deduct_when=_failed)
@public
def login():
    if current_user.is_authenticated:
        return redirect(_landing(current_user))
    form = LoginForm()
    badge_form = BadgeForm(prefix="b")
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(_landing(user))
        _login_refused(form.username.data or "", "password")
        flash(_("Wrong username or password."), "error")
    elif request.method == "POST":
        flash(_("Please fill in the username and the password."), "error")
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, badge_form=badge_form), status


@bp.route("/login/badge", methods=["POST"])
@limiter.limit(_login_limit, key_func=_badge_login_key, deduct_when=_failed)
@public
def badge_login():
    badge_form = BadgeForm(prefix="b")
    if badge_form.validate_on_submit():
        user = authenticate_badge(badge_form.badge.data)
        if user is not None:
            _start_session(user, how="badge")
            return redirect(_landing(user, badge=True))
        _login_refused("", "badge")
    flash(_("This badge is not known. Scan again or log in with your password."), "error")
    return render_template("auth/login.html", form=LoginForm(), badge_form=badge_form, badge_error=True), 401


@bp.route("/logout", methods=["POST"])
@requires("account.self")
def logout():
    """Ends this browser's session row, so a copy of the cookie is dead too."""
    sid = current_session_id()
    if sid is not None:
        end_session(sid, by_user_id=current_user.id, action="auth.logout")
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/settings/language", methods=["POST"])
@requires("account.self")
def set_language():
    locale = request.form.get("locale") or None
    if locale is not None and locale not in LOCALES:
        flash(_("Unknown language."), "error")
    else:
        set_locale(current_user, locale)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/lang/<code>")
@public
def choose_language(code: str):
    """Language for visitors who are not logged in (the login page's switch); kept in a cookie."""
    response = redirect(_safe_next(request.args.get("next") or url_for("auth.login")))
    if code in LOCALES:
        response.set_cookie("lang", code, max_age=365 * 86400, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
