"""Replenishment and cycle counts (office and handheld screens)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("floor_tasks", __name__)
