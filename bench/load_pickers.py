"""The load run's pickers, for locust (started by bench/load.py, which also sets the environment).

Each simulated picker logs in with its own account on one of the servers (LOAD_HOSTS, taken in turn),
opens the handheld's pick screen (which gives it a cart) and scans what the screen asks for: the bin,
then the item, then the cart's slot — each scan a POST /picking/pick/scan with its own scan id (the
Idempotency-Key the handheld's scan queue sends), the next screen read from the answer. A finished
cart is followed by the next one. Between scans the picker walks and reaches: LOAD_THINK_MIN to
LOAD_THINK_MAX seconds. A refused scan, an error or a missing cart is a failure.

The scanning starts once all LOAD_PICKERS pickers are logged in with their carts (a login costs an
Argon2id hash: seconds of CPU for a shift logging in at once) and lasts LOAD_SECONDS; then each picker
stops before its next scan (no request is cut off) and the run ends.

This module imports locust (which patches the standard library for gevent): never import it elsewhere.
"""

from __future__ import annotations

import itertools
import os
import re
import time
import uuid
from dataclasses import dataclass, field

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, task
from locust.exception import StopUser

HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "http://127.0.0.1:5000").split(",") if h]
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
PICKERS = int(os.environ.get("LOAD_PICKERS", "1"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
SCAN = "POST /picking/pick/scan"
_numbers = itertools.count()
_ready = itertools.count(1)
_all_in = Event()


_run = {"ends": float("inf")}


def _one_more_ready(environment) -> None:
    """A picker is logged in with a cart (or gave up): with the last one the measured run starts. At its
    end each picker stops before its next scan; locust quits once none can still be waiting for an answer."""
    if next(_ready) == PICKERS:
        _run["ends"] = time.monotonic() + SECONDS
        gevent.spawn_later(SECONDS + 30, environment.runner.quit)
        _all_in.set()


@dataclass
class Screen:
    """What the pick screen shows: the step, the task, what to scan, the fields the form sends back."""

    step: str = ""
    task_id: str = ""
    bin: str = ""
    sku: str = ""
    slot: str = ""
    cart: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    done: bool = False

    @classmethod
    def read(cls, html: str) -> Screen:
        def first(pattern: str, text: str = html) -> str:
            found = re.search(pattern, text, re.S)
            return found.group(1) if found else ""

        form = first(r"(<form class=\"scan-form\".*?</form>)")
        return cls(step=first(r'data-step="(\w+)"', form), task_id=first(r'name="task_id" value="(\d+)"', form),
                   bin=first(r"data-expected-bin>([^<]+)<"), sku=first(r'class="pick-item"><strong>([^<]+)</strong>'),
                   slot=first(r'<strong class="slot">(\d+)</strong>'), cart=first(r'data-cart-code="([^"]*)"'),
                   hidden=dict(re.findall(r'<input type="hidden" name="(bin|item|qty|lot)" value="([^"]*)"', form)),
                   done="data-cart-done" in html)

    def code(self) -> str:
        """What the picker scans now: the bin's label, the item, or the slot's label on the cart."""
        return {"bin": self.bin, "item": self.sku, "slot": f"{self.cart}-S{self.slot}"}[self.step]


class Picker(FastHttpUser):
    host = HOSTS[0]
    wait_time = between(float(os.environ.get("LOAD_THINK_MIN", "0.5")), float(os.environ.get("LOAD_THINK_MAX", "1.5")))

    def on_start(self) -> None:
        try:
            self.log_in(next(_numbers))
            self.take_cart()
        finally:
            _one_more_ready(self.environment)
        _all_in.wait()

    def log_in(self, number: int) -> None:
        self.base = HOSTS[number % len(HOSTS)]
        with self.client.get(f"{self.base}/login", name="GET /login", catch_response=True) as page:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text or "")
            if token is None:
                page.failure("the login page has no CSRF token")
                raise StopUser
        with self.client.post(f"{self.base}/login", name="POST /login", allow_redirects=False, catch_response=True,
                              data={"username": f"picker{number:02d}", "password": PASSWORD,
                                    "csrf_token": token.group(1)}) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}")
                raise StopUser

    def take_cart(self) -> None:
        with self.client.get(f"{self.base}/picking/pick", name="GET /picking/pick", catch_response=True) as page:
            self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text or "")
            self.screen = Screen.read(page.text or "")
            if page.status_code != 200 or self.csrf is None or not self.screen.step:
                page.failure("no cart left for the picker: the run needs more orders")
                raise StopUser

    @task
    def scan(self) -> None:
        if time.monotonic() >= _run["ends"]:
            raise StopUser
        if self.screen.done:
            self.take_cart()
            return
        data = {"task_id": self.screen.task_id, **self.screen.hidden, "code": self.screen.code()}
        headers = {"X-CSRFToken": self.csrf.group(1), "HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex,
                   "Referer": f"{self.base}/picking/pick"}
        with self.client.post(f"{self.base}/picking/pick/scan", name=SCAN, data=data, headers=headers,
                              catch_response=True) as answer:
            trigger = (answer.headers or {}).get("HX-Trigger") or ""  # no headers: no answer (the run stopping)
            if answer.status_code != 200 or "scan-ok" not in trigger:
                answer.failure(f"{self.screen.step} scan answered {answer.status_code} {trigger[:200]}")
                return
            self.screen = Screen.read(answer.text or "")
