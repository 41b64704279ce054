"""Pagination for the API's lists, one mechanism for all of them.

- Feeds (stock moves, waves, shipments, ASNs, the journal, the audit feed): `cursor` + `limit` only
  (`cursor_page`, `cursor_paged`).
- The other lists (`page_or_cursor`, `paged`): `page`/`per_page` with a `total`, as before, AND an
  opaque `cursor`: every answer carries `next_cursor` (null on the last page); passing it back gives
  the rows after the last one seen, in the list's id order, whatever was inserted or deleted meanwhile
  (page numbers shift then; the cursor does not). With a cursor, `page` is ignored and `total` is null
  (counting every page of a long sync would cost a scan each time).

A cursor is the last id of the previous page, base64'd (`id:<n>`); anything else is refused with
400 `bad_cursor`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import func, select

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


def page_or_cursor(stmt, id_column, args: dict, *, newest_first: bool = False,
                   fetch: Callable[[object], list] | None = None, id_of: Callable[[object], int] | None = None) -> dict:
    """One page of `stmt` in `id_column` order: by `page` (with the total) or after `cursor`.

    `fetch` runs the statement (default: the ORM objects of its first column); `id_of` reads a row's
    id (default: `row.id`). Returns {items, total, page, per_page, next_cursor}."""
    fetch = fetch or (lambda query: list(db.session.scalars(query)))
    id_of = id_of or (lambda row: row.id)
    per_page, after = args["per_page"], decode_cursor(args.get("cursor"))
    total = None
    if after is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        stmt = stmt.offset((args["page"] - 1) * per_page)
    else:
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    stmt = stmt.order_by(None).order_by(id_column.desc() if newest_first else id_column).limit(per_page + 1)
    rows = fetch(stmt)
    more, rows = len(rows) > per_page, rows[:per_page]
    return {"items": rows, "total": total, "page": None if after is not None else args["page"], "per_page": per_page,
            "next_cursor": encode_cursor(id_of(rows[-1])) if more and rows else None}


def updated_since_field(what: str) -> fields.AwareDateTime:
    """The `updated_since` filter of a list whose rows know when they changed."""
    return fields.AwareDateTime(load_default=None, default_timezone=None,
                                metadata={"description": f"only {what} changed at or after this time (ISO 8601)"})


def paged(item_schema) -> type[Schema]:
    """The answer's schema of a `page_or_cursor` list."""

    class Page(Schema):
        items = fields.List(fields.Nested(item_schema), dump_only=True)
        total = fields.Integer(allow_none=True, dump_only=True,
                               metadata={"description": "rows in the whole list; null when paging by cursor"})
        page = fields.Integer(allow_none=True, dump_only=True)
        per_page = fields.Integer(dump_only=True)
        next_cursor = fields.String(allow_none=True, dump_only=True,
                                    metadata={"description": "pass as `cursor` for the rows after this page; "
                                                             "null: last page"})

    Page.__name__ = f"{item_schema.__name__.removesuffix('Schema')}Page"
    return Page


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
