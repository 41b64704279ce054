"""The crash test's clients: real HTTP against the gunicorn server, each in a thread with its own session.

An office user uploading order files (the import page), a shop pushing orders through the REST API
(each with an Idempotency-Key), a supervisor releasing waves, pickers scanning on the handheld's pick
screen (each scan with its scan id as Idempotency-Key, as scanner.js sends it). Every request is an
``Op`` in the ``Ledger``: answered (status, headers, body) or not (the server died first). After the
restart an unanswered op is sent again with the same key and body, an answered one replayed."""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from tests.conftest import PASSWORD, csrf_from
from tests.integration.jobs_helpers import orders_csv

TIMEOUT = 30


@dataclass
class Op:
    kind: str  # push | import | release | scan
    path: str
    key: str = ""
    data: dict | None = None
    json: dict | None = None
    extra: dict = field(default_factory=dict)
    iteration: int = 0
    status: int | None = None  # None: no answer before the kill
    headers: dict = field(default_factory=dict)
    text: str = ""
    resent: bool = False  # sent again after the restart (same key, same body)

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def scan_ok(self) -> bool:
        return "scan-ok" in json.loads(self.headers.get("HX-Trigger", "{}") or "{}")


class Ledger:
    """Every op, and what is in flight right now (for the kill's phase)."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.in_flight: Counter = Counter()
        self.server_errors: list[str] = []
        self.lock = threading.Lock()

    def began(self, op: Op) -> None:
        with self.lock:
            self.ops.append(op)
            self.in_flight[op.kind] += 1

    def ended(self, op: Op) -> None:
        with self.lock:
            self.in_flight[op.kind] -= 1
            if op.status is not None and op.status >= 500:
                self.server_errors.append(f"{op.kind} {op.path}: {op.status} {op.text[:300]}")

    def flying(self) -> dict[str, int]:
        with self.lock:
            return {kind: n for kind, n in self.in_flight.items() if n}

    def of(self, iteration: int, kind: str | None = None) -> list[Op]:
        with self.lock:
            return [op for op in self.ops if op.iteration == iteration and kind in (None, op.kind)]


class Client:
    """One browser, handheld or API caller; ``run`` loops until ``stop`` is set or the server is gone."""

    def __init__(self, base: str, ledger: Ledger, rng: random.Random) -> None:
        self.base, self.ledger, self.rng = base, ledger, rng
        self.http = requests.Session()
        self.csrf = ""
        self.iteration = 0
        self.sent: list[Op] = []  # this client's ops, to send again or replay with its session

    def page(self, path: str) -> str:
        html = self.http.get(self.base + path, timeout=TIMEOUT).text
        self.csrf = csrf_from(html)
        return html

    def login(self, username: str) -> None:
        self.page("/login")
        answer = self.http.post(self.base + "/login", data={"username": username, "password": PASSWORD,
                                                            "csrf_token": self.csrf}, allow_redirects=False,
                                timeout=TIMEOUT)
        assert answer.status_code == 302, (answer.status_code, answer.text[:300])

    def send(self, op: Op, files=None, headers: dict | None = None) -> Op:
        headers = {"X-CSRFToken": self.csrf, **(headers or {})}
        if op.key:
            headers["Idempotency-Key"] = op.key
        self.ledger.began(op)
        self.sent.append(op)
        try:
            answer = self.http.post(self.base + op.path, data=op.data, json=op.json, files=files, headers=headers,
                                    allow_redirects=False, timeout=TIMEOUT)
        except requests.RequestException:
            op.status = None
        else:
            op.status, op.headers, op.text = answer.status_code, dict(answer.headers), answer.text
        finally:
            self.ledger.ended(op)
        return op

    def again(self, op: Op, headers: dict | None = None) -> requests.Response:
        """The same request with the same key after the restart."""
        sent = {"X-CSRFToken": self.csrf, "Idempotency-Key": op.key, **(headers or {})}
        return self.http.post(self.base + op.path, data=op.data, json=op.json, headers=sent,
                              allow_redirects=False, timeout=TIMEOUT)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if not self.step():
                    return
        except requests.RequestException:
            return  # the server went away between two ops (a page read): nothing was sent

    def step(self) -> bool:
        raise NotImplementedError


class Importer(Client):
    """The office: uploads an order file of 50-400 one-line orders; acknowledged = the 302 to its job."""

    numbers = itertools.count(1)

    def __init__(self, base, ledger, rng, channel_id: int, sku: str) -> None:
        super().__init__(base, ledger, rng)
        self.channel_id, self.sku = channel_id, sku

    def step(self) -> bool:
        self.page("/intake/imports")
        count, prefix = self.rng.randint(50, 400), f"IM{next(self.numbers):04d}-"
        name = f"crash-{prefix}n{count}.csv"
        op = self.send(Op("import", "/intake/imports", data={"channel": str(self.channel_id), "csrf_token": self.csrf},
                          extra={"prefix": prefix, "count": count}, iteration=self.iteration),
                       files={"files": (name, orders_csv(count, prefix, self.sku), "text/csv")})
        if op.status == 302:
            op.extra["import_id"] = int(op.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        threading.Event().wait(self.rng.uniform(0.2, 0.6))
        return op.answered


class Pusher(Client):
    """A shop's system: POST /api/v1/orders with an Idempotency-Key; acknowledged = 201."""

    numbers = itertools.count(1)

    def __init__(self, base, ledger, rng, token: str, skus: list[str]) -> None:
        super().__init__(base, ledger, rng)
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.skus = skus

    def step(self) -> bool:
        number = next(self.numbers)
        lines = [{"sku": sku, "quantity": self.rng.randint(1, 3), "unit_price": "25.00"}
                 for sku in self.rng.sample(self.skus, self.rng.randint(1, 2))]
        body = {"channel": "TM", "external_id": f"API-{number:05d}", "ship_name": "王芳",
                "ship_phone": f"139{number:08d}", "ship_province": "上海", "ship_city": "上海市",
                "ship_address": "中山路 100 号", "lines": lines, "paid_at": "2026-11-20T09:15:30+00:00"}
        op = self.send(Op("push", "/api/v1/orders", key=f"push-{number}-{uuid.uuid4().hex[:8]}", json=body,
                          iteration=self.iteration))
        threading.Event().wait(self.rng.uniform(0.02, 0.1))
        return op.answered


class Releaser(Client):
    """The supervisor releasing small waves of the allocated orders; acknowledged = the 302."""

    def __init__(self, base, ledger, rng, warehouse_id: int) -> None:
        super().__init__(base, ledger, rng)
        self.warehouse_id = warehouse_id

    def step(self) -> bool:
        self.page("/picking/waves")
        op = self.send(Op("release", "/picking/waves/release", data={
            "warehouse_id": str(self.warehouse_id), "max_orders": "3", "cart_slots": "3",
            "multi_item_mode": "cluster", "csrf_token": self.csrf}, iteration=self.iteration))
        threading.Event().wait(self.rng.uniform(0.4, 1.0))
        return op.answered


_HIDDEN = re.compile(r'<input type="hidden" name="(task_id|bin|item|qty|lot)" value="([^"]*)">')


@dataclass(frozen=True)
class TaskCodes:
    """What a picker standing at the task reads off the bin, the item and the tote (from the database)."""

    list_id: int
    bin: str
    item: str
    slot: str  # "" when the cart has no slots


class Picker(Client):
    """A handheld on the pick screen: bin, item, (slot) scans, each with a fresh scan id. A confirming scan
    answered scan-ok is one unit picked; ``codes(task_id)`` tells what to scan."""

    def __init__(self, base, ledger, rng, codes: Callable[[int], TaskCodes]) -> None:
        super().__init__(base, ledger, rng)
        self.codes = codes
        self.panel = ""

    def step(self) -> bool:
        if not self.panel:
            self.panel = self.page("/picking/pick")
        form = dict(_HIDDEN.findall(self.panel))
        if "task_id" not in form:  # no work, or the cart is complete: ask again (claims the next cart)
            self.panel = ""
            threading.Event().wait(0.3)
            return True
        task = self.codes(int(form["task_id"]))
        step = "slot" if "item" in form else "item" if "bin" in form else "bin"
        data = {**form, "code": {"bin": task.bin, "item": task.item, "slot": task.slot}[step]}
        if step == "item":
            data["qty"] = "1"
        confirming = step == "slot" or (step == "item" and not task.slot)
        op = self.send(Op("scan", "/picking/pick/scan", key=f"scan-{uuid.uuid4().hex}", data=data,
                          extra={"list_id": task.list_id, "confirming": confirming, "step": step},
                          iteration=self.iteration), headers={"HX-Request": "true"})
        if not op.answered:
            return False
        self.panel = op.text if op.status == 200 and op.scan_ok else ""
        return True
