"""Channel pull feeds: settings, cursor and 'pull now'."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
