"""The language of each request: the user's setting, else the browser's, else English."""

from __future__ import annotations

from flask import request
from flask_login import current_user

LOCALES = {"en": "English", "zh": "简体中文"}


def select_locale() -> str:
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    chosen = request.cookies.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-TW"], default="en")[:2]
