"""Stock views, adjustments, transfers and low-stock alerts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stock", __name__)
