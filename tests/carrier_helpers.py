"""A local fake carrier API (http.server on 127.0.0.1, a thread; never the internet) speaking the
`http_json` adapter's protocol, and small helpers for the carrier tests.

    with FakeCarrier() as fake:
        fake.url  # http://127.0.0.1:<port>
        fake.requests  # [(method, path, headers, json body)]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeCarrier:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, object]] = []
        self.next_number = 880000000001
        self.events: dict[str, list[dict]] = {}
        self.fail_with: int | None = None  # answer every call with this HTTP status
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output quiet
                return None

            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> object:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                return body

            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                self._record()
                if fake.fail_with:
                    return self._answer(fake.fail_with, {"error": "down"})
                if self.path == "/waybills":
                    number = f"JT{fake.next_number}"
                    fake.next_number += 1
                    return self._answer(200, {"tracking_number": number, "routing_code": "310-A12 05",
                                              "hub_code": "HUB021"})
                if self.path.startswith("/waybills/") and self.path.endswith("/cancel"):
                    return self._answer(200, {"cancelled": True})
                return self._answer(404, {"error": "no such path"})

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                if fake.fail_with:
                    return self._answer(fake.fail_with, {"error": "down"})
                if self.path.startswith("/tracking/"):
                    return self._answer(200, {"events": fake.events.get(self.path.rsplit("/", 1)[1], [])})
                return self._answer(404, {"error": "no such path"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-carrier")

    def __enter__(self) -> FakeCarrier:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _, _ in self.requests]


def closed_port_url() -> str:
    """A local URL nothing listens on (the carrier is down)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def api_token(app, users, role: str = "supervisor") -> str:
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users[role], f"{role} tests", users["admin"])
    return secret
