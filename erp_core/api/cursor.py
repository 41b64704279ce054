"""Cursor pagination for the API's lists: an opaque `cursor` (the last id of the previous page) and
`next_cursor` in the answer (null on the last page). Stable under inserts, unlike page numbers."""

from __future__ import annotations

import base64
import binascii

from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from ..errors import ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from .fields import INT_MAX, Schema

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"


class CursorArgs(Schema):
    cursor = fields.String(load_default=None, validate=validate.Regexp(CURSOR_PATTERN),
                           metadata={"description": "`next_cursor` of the previous page; omit for the first"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    since = fields.AwareDateTime(load_default=None, default_timezone=None,
                                 metadata={"description": "only what was created (or changed) at or after this time"})


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        value = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value, kind = -1, ""
    if kind != "id" or not 0 < value <= INT_MAX:
        raise ValidationFailed("the cursor is not one this API gave out", code="bad_cursor")
    return value


def cursor_page(stmt, id_column, args: dict, *, newest_first: bool = False) -> dict:
    """One page of `stmt` ordered by `id_column`, after the cursor; {items, next_cursor}."""
    after = decode_cursor(args.get("cursor"))
    if after is not None:
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column).limit(args["limit"] + 1)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}


def in_my_warehouses(stmt, warehouse_column, code: str | None = None):
    """`stmt` limited to the warehouses the user may work in, and to the one with `code` if given."""
    allowed = current_user.warehouse_ids()
    if allowed is not None:
        stmt = stmt.where(warehouse_column.in_(allowed))
    if code:
        stmt = stmt.where(warehouse_column.in_(select(Warehouse.id).where(Warehouse.code == code)))
    return stmt


def cursor_paged(item_schema) -> type[Schema]:
    """The answer's schema: {items: [item], next_cursor}."""

    class CursorPage(Schema):
        items = fields.List(fields.Nested(item_schema), dump_only=True)
        next_cursor = fields.String(allow_none=True, dump_only=True,
                                    metadata={"description": "pass as `cursor` for the next page; null: last page"})

    CursorPage.__name__ = f"{item_schema.__name__.removesuffix('Schema')}CursorPage"
    return CursorPage
