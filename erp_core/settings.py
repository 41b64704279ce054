"""Settings the office changes in the UI (audit rules, allocation policy), stored as JSON by key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import atomic
from .extensions import db
from .models_base import UTCDateTime, utcnow


class Setting(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def get_setting(key: str, default: Any = None) -> Any:
    row = db.session.get(Setting, key)
    return default if row is None else json.loads(row.value)


def put_setting(key: str, value: Any, *, user_id: int | None = None) -> None:
    with atomic():
        row = db.session.get(Setting, key)
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        if row is None:
            db.session.add(Setting(key=key, value=text, updated_by_id=user_id))
        else:
            row.value, row.updated_by_id = text, user_id
