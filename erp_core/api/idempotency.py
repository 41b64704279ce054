"""Idempotency-Key for POSTs that create something, and for every handheld scan.

The handheld's scanner.js sends each scan with a fresh Idempotency-Key (its scan id), so a scan
retried by the network or replayed from the offline queue is applied once.

The same key with the same request returns the first response and changes nothing; the same key
with a different request is refused (422 `idempotency_key_reused`). The stored response is written
in the same transaction as the change it describes, so a crash can never leave one without the other.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import atomic
from ..errors import ValidationFailed
from ..extensions import db
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Retries with the same key and body return the first response and create nothing.",
}]}


def _principal() -> str:
    token = g.get("api_token")
    return f"token:{token.id}" if token is not None else f"user:{current_user.id}"


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data())
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


def idempotent(view):
    """Wrap a POST view (outside its schema decorators, so it sees the final response)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255:
            raise ValidationFailed("Idempotency-Key is longer than 255 characters", code="bad_idempotency_key")
        principal, request_hash = _principal(), _request_hash()
        found = db.session.scalar(select(IdempotencyRecord).filter_by(principal=principal, key=key))
        if found is not None:
            return _replay(found, request_hash)
        try:
            with atomic():
                response = current_app.make_response(view(*args, **kwargs))
                if 200 <= response.status_code < 300:
                    db.session.add(IdempotencyRecord(
                        principal=principal, key=key, method=request.method, path=request.path[:255],
                        request_hash=request_hash, status_code=response.status_code,
                        response_body=response.get_data(as_text=True),
                        content_type=response.content_type or "application/json",
                        headers=json.dumps({k: v for k, v in response.headers.items() if k.startswith("HX-")})))
        except IntegrityError:
            # A concurrent retry with the same key committed first: answer with its response.
            found = db.session.scalar(select(IdempotencyRecord).filter_by(principal=principal, key=key))
            if found is None:
                raise
            return _replay(found, request_hash)
        return response

    return wrapper
