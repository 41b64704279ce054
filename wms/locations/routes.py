"""Warehouse layout, bins, plan view, bin labels and slotting (office screens)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("locations", __name__)
