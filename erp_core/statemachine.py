"""One mechanism for every aggregate's states: a declared transition table and a compare-and-set.

An aggregate (order, wave, pick list, later shipment and return) declares `TRANSITIONS` next to its
model: from each status, the statuses it may move to. `compare_and_set(obj, to, transitions)` applies
one edge as `UPDATE <table> SET status = :to WHERE id = :id AND status = :read` and checks the row
count, so of two concurrent changes of one object exactly one takes effect and the other is refused
with a clean 409 (Conflict), never a 500 and never a double effect.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.orm import attributes

from .errors import Conflict
from .extensions import db

Transitions = Mapping[str, frozenset[str]]


def can_move(transitions: Transitions, status: str, to: str) -> bool:
    return to in transitions.get(status, frozenset())


def compare_and_set(obj, to: str, transitions: Transitions, *, what: str, code: str = "status_conflict",
                    details: Mapping[str, object] | None = None, **values: object) -> None:
    """Move `obj` from the status it was read with to `to`; other columns in `values` in the same UPDATE.

    Refused (Conflict `code`) when the table has no such edge; refused (Conflict `changed_meanwhile`)
    when another transaction changed the row since it was read. `what` names the object in the
    English message; `details` (e.g. the order number) go with the refusal for its translation.
    """
    model = type(obj)
    current = obj.status
    if not can_move(transitions, current, to):
        raise Conflict(f"{what} is {current} and cannot become {to}", code=code, current=current, wanted=to,
                       **dict(details or {}))
    if hasattr(model, "updated_at"):
        from .models_base import utcnow

        values.setdefault("updated_at", utcnow())
    done = db.session.execute(
        update(model).where(model.id == obj.id, model.status == current).values(status=to, **values)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(f"{what} was changed by someone else meanwhile; reload and try again",
                       code="changed_meanwhile", current=current, wanted=to, **dict(details or {}))
    # The row is written; tell the loaded object without marking it dirty (no second UPDATE).
    attributes.set_committed_value(obj, "status", to)
    for name, value in values.items():
        attributes.set_committed_value(obj, name, value)
