"""Idempotency-Key for POSTs that create something, and for every handheld scan.

The handheld's scanner.js sends each scan with a fresh Idempotency-Key (its scan id), so a scan
retried by the network or replayed from the offline queue is applied once.

The same key with the same request returns the first response and changes nothing; the same key
with a different request is refused (422 `idempotency_key_reused`). The key is claimed before the
work and its response written in the same transaction as the change it describes, so a crash can
never leave one without the other, and concurrent duplicates wait for the first and replay it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from ..db import atomic
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Retries with the same key and body return the first response (Idempotent-Replayed: true) "
                   "and create nothing; a retry sent while the first is still running waits for it. Keys "
                   "expire after IDEMPOTENCY_TTL_HOURS (24 h).",
}]}


def _principal() -> str:
    token = g.get("api_token")
    return f"token:{token.id}" if token is not None else f"user:{current_user.id}"


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _request_hash() -> str:
    """What the request says: method, path and body. A form's fields and files rather than its bytes:
    once anything has read request.form (the text guard does, before every view) the raw body is
    gone, and a multipart body's boundary differs each time a client sends it."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    if request.mimetype not in FORMS:
        digest.update(request.get_data())
        return digest.hexdigest()
    digest.update(json.dumps(sorted(request.form.items(multi=True))).encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
        digest.update(json.dumps([name, upload.filename]).encode())
        digest.update(hashlib.file_digest(upload.stream, "sha256").digest())  # in chunks: an upload may be large
        upload.stream.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str):
    if record.request_hash != request_hash:
        raise ValidationFailed("this Idempotency-Key was used with a different request",
                               code="idempotency_key_reused")
    response = current_app.response_class(record.response_body, status=record.status_code,
                                          content_type=record.content_type)
    for name, value in json.loads(record.headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _replayed_header(name: str) -> bool:
    """The headers that are part of the answer: htmx's (HX-Trigger, HX-Redirect...) and a redirect's Location."""
    return name.startswith("HX-") or name == "Location"


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config.get("IDEMPOTENCY_TTL_HOURS", 24))


def _stored(principal: str, key: str) -> IdempotencyRecord | None:
    """The key's record when it has not expired; an expired one is deleted (the key starts anew)."""
    found = db.session.scalar(select(IdempotencyRecord).filter_by(principal=principal, key=key)
                              .execution_options(populate_existing=True))
    if found is not None and found.created_at < utcnow() - _ttl():
        db.session.delete(found)
        db.session.flush()
        return None
    return found


def _claim(principal: str, key: str, request_hash: str) -> IdempotencyRecord | None:
    """Insert the key's record before the work; None when a concurrent request with the key
    committed first (its answer is then replayed). A duplicate still running makes this wait (the
    unique index's lock, or SQLite's writer lock) up to IDEMPOTENCY_WAIT_SECONDS, then 409."""
    wait_ms = int(current_app.config.get("IDEMPOTENCY_WAIT_SECONDS", 10)) * 1000
    postgres = db.engine.dialect.name == "postgresql"
    try:
        with atomic():
            if postgres:
                db.session.execute(text(f"SET LOCAL lock_timeout = {wait_ms}"))
            record = IdempotencyRecord(principal=principal, key=key, method=request.method, path=request.path[:255],
                                       request_hash=request_hash, status_code=0, response_body="",
                                       content_type="application/json", headers="{}")
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        return None
    except Conflict as error:  # the lock wait ran out: the first request is still at work
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly",
                       code="idempotency_in_progress") from error
    finally:
        if postgres:
            db.session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    return record


def idempotent(view):
    """Wrap a POST view (outside its schema decorators, so it sees the final response).

    Like Stripe's keys: the key is claimed (its row inserted) in the same transaction as the work,
    before the work; a concurrent duplicate waits for the first to finish and then gets its answer
    replayed (a redirect too: a form post's answer); the stored answer commits with the change it
    describes; a failed request (4xx, 5xx) stores nothing (the key can carry the corrected request);
    keys expire after IDEMPOTENCY_TTL_HOURS.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255:
            raise ValidationFailed("Idempotency-Key is longer than 255 characters", code="bad_idempotency_key")
        principal, request_hash = _principal(), _request_hash()
        with atomic():
            found = _stored(principal, key)
            record = None if found is not None else _claim(principal, key, request_hash)
            if record is None:
                found = found or _stored(principal, key)
                if found is None:  # the first one failed and stored nothing: nothing to replay
                    raise Conflict("a request with this Idempotency-Key was just refused; send it again",
                                   code="idempotency_in_progress")
                answer = ("replay", found)
            else:
                response = current_app.make_response(view(*args, **kwargs))
                if 200 <= response.status_code < 400:  # a redirect is a form post's answer that it worked
                    record.status_code = response.status_code
                    record.response_body = response.get_data(as_text=True)
                    record.content_type = response.content_type or "application/json"
                    record.headers = json.dumps({k: v for k, v in response.headers.items() if _replayed_header(k)})
                else:
                    db.session.delete(record)
                answer = ("fresh", response)
        if answer[0] == "replay":
            return _replay(answer[1], request_hash)
        return answer[1]

    wrapper._idempotent = True  # type: ignore[attr-defined]  (kept by the outer @wraps: tests enumerate it)
    return wrapper


def purge_expired_keys(*, batch: int = 1000) -> int:
    """Delete idempotency records older than IDEMPOTENCY_TTL_HOURS, in short transactions; returns how many."""
    cutoff = utcnow() - _ttl()
    purged = 0
    while True:
        with atomic():
            ids = db.session.scalars(select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < cutoff)
                                     .order_by(IdempotencyRecord.id).limit(batch)).all()
            if ids:
                db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
        purged += len(ids)
        if len(ids) < batch:
            return purged
