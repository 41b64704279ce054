"""Inbound: ASNs, receiving and putaway (office and handheld screens)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbound", __name__)
