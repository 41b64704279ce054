"""Catalog screens: SKUs, kits, import and export."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalog", __name__)
