"""A webhook receiver in tests: http.server on 127.0.0.1 in a thread (never the internet) that checks
each request's signature the way the README tells a receiver to, with the secret shown at creation.

    with Receiver() as receiver:
        webhook_id, receiver.secret = subscribe(client, auth, receiver.url, ["order.created"])
        ...; send(app)
        receiver.received  # [Received(headers, raw, body, signature_ok)]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify_signature(secret: str, headers: dict, raw: bytes, tolerance: int = 300) -> bool:
    """The receiver's check: X-WMS-Signature is t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>,
    with a timestamp at most 5 minutes off (the README's snippet)."""
    parts = dict(p.split("=", 1) for p in headers.get("X-WMS-Signature", "").split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or abs(time.time() - int(parts["t"])) > tolerance:
        return False
    if parts["t"] != headers.get("X-WMS-Timestamp"):
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Received:
    headers: dict
    raw: bytes
    body: dict
    signature_ok: bool


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.secret = ""
        self.fail_next = 0  # answer this many requests with 500 first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers)
                receiver.received.append(Received(headers, raw, json.loads(raw),
                                                  verify_signature(receiver.secret, headers, raw)))
                status = 500 if receiver.fail_next > 0 else 200
                receiver.fail_next = max(receiver.fail_next - 1, 0)
                answer = b"receiver down for maintenance" if status == 500 else b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="webhook-receiver")

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.body["type"] == event_type]


def allow_local_targets(app, monkeypatch) -> None:
    """Let the server call the local receiver (the production defaults refuse http and 127.0.0.1)."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_HTTP", True)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", True)


def subscribe(client, auth: dict, url: str, events: list[str], **extra) -> tuple[int, str]:
    """POST /api/v1/webhooks as the API user does; returns (id, the secret shown once)."""
    response = client.post("/api/v1/webhooks", json={"url": url, "events": events, **extra},
                           headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.json
    return response.json["id"], response.json["secret"]


def send(app, **kwargs) -> dict[str, int]:
    """One round of the sender, as the scheduler runs it."""
    from erp_core.extensions import db
    from erp_core.webhooks.delivery import run_webhook_deliveries

    with app.app_context():
        try:
            return run_webhook_deliveries(**kwargs)
        finally:
            db.session.remove()
