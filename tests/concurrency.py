"""Run service calls at the same moment from real threads, each with its own app context (so its own
SQLAlchemy session and database connection), and say how each one ended.

    outcomes = race(app, lambda: audit_order(order_id), lambda: audit_order(order_id))
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]

A call ends `ok` (its return value kept), `refused` (a DomainError: its code and status kept), or
`error` (anything else, with the traceback, or a thread that did not finish in time: `hung`).
Jobs should return plain values, not ORM objects: the thread's session is removed when it ends.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass
class Outcome:
    kind: str  # "ok", "refused" or "error"
    value: object = None
    code: str | None = None
    status: int | None = None
    error: BaseException | None = None
    trace: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def __str__(self) -> str:
        if self.kind == "ok":
            return "ok"
        if self.kind == "refused":
            return f"refused {self.status} {self.code}"
        return f"error {type(self.error).__name__}: {str(self.error).splitlines()[0][:200] if self.error else ''}"


def run_call(job: Callable[[], object]) -> Outcome:
    """Call job and classify how it ended (inside whatever app context the caller has)."""
    from erp_core.errors import DomainError

    try:
        return Outcome("ok", value=job())
    except DomainError as error:
        return Outcome("refused", code=error.code, status=error.status, error=error)
    except Exception as error:  # noqa: BLE001  (anything but a domain refusal is what we are looking for)
        return Outcome("error", error=error, trace=traceback.format_exc())


def race(app, *jobs: Callable[[], object], timeout: float = 90.0) -> list[Outcome]:
    """Start every job at the same moment (a barrier), each in its own thread and app context."""
    from erp_core.extensions import db

    start = threading.Barrier(len(jobs))
    outcomes: list[Outcome | None] = [None] * len(jobs)

    def run(i: int, job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                outcomes[i] = run_call(job)
            except threading.BrokenBarrierError as error:
                outcomes[i] = Outcome("error", error=error, trace="the start barrier broke")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job), daemon=True, name=f"race-{i}")
               for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return [o if o is not None else Outcome("error", error=TimeoutError(f"hung for more than {timeout}s"),
                                             trace="hung") for o in outcomes]


def kinds(outcomes: Iterable[Outcome]) -> Counter:
    return Counter(str(o) for o in outcomes)


def unexpected(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """The outcomes that are neither a success nor a clean domain refusal."""
    return [o for o in outcomes if o.kind == "error"]


def where_it_failed(outcome: Outcome) -> str:
    """The exception and the project's own frames it went through (not the library's), one line."""
    if outcome.error is None:
        return outcome.trace
    frames = [f"{f.filename.rsplit('/work/', 1)[-1].split('/', 1)[-1]}:{f.lineno} {f.name}"
              for f in traceback.extract_tb(outcome.error.__traceback__)
              if ("/erp_core/" in f.filename or "/wms/" in f.filename) and "site-packages" not in f.filename]
    message = " ".join(str(outcome.error).split())[:300]
    return f"{type(outcome.error).__name__}: {message} <- {' <- '.join(reversed(frames[-4:]))}"


def describe_errors(outcomes: Iterable[Outcome], limit: int = 2) -> str:
    """The first unexpected errors, each with where it came from, to put in an assertion message."""
    return " | ".join(where_it_failed(o) for o in list(unexpected(outcomes))[:limit])
