"""Order intake screens: file imports with progress, manual order entry."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("intake", __name__)
