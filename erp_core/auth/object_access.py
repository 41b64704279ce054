"""Object-level access: the warehouse of each kind of object, and one check for every route and
socket event that takes an object's id.

Each package registers how to find the warehouse of its kinds of object (a registry: kind ->
function(id) -> warehouse id). Routes then call ``require_warehouse_of("pick_task", task_id)``.

The refusal is always the same: an object that does not exist is ``not_found`` (404); an object of
a warehouse the user may not work in is ``other_warehouse`` (403), for pages, fragments, the API and
the handheld's scans alike (a scan shows it as its refusal). Objects without a warehouse (SKUs,
customers, suppliers) are not registered and need no check; an object whose warehouse is not known
yet (an order before allocation) is visible to everyone whose role may see it.

``erp_core`` registers its own kinds here; ``wms`` registers the floor's (waves, pick tasks,
shipments ...) from its packages, so this module never imports ``wms``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask_login import current_user

from ..errors import NotFound, PermissionDenied

MISSING: Any = object()  # what a resolver answers for an id that names nothing
# A warehouse id; None (not known yet: visible); a tuple of ids (a transfer: either end may see it); MISSING.
WarehouseOf = Callable[[int], Any]

_RESOLVERS: dict[str, WarehouseOf] = {}
CURRENT_USER: Any = object()  # `allowed=` default: the current user's warehouses


class OtherWarehouse(PermissionDenied):
    code = "other_warehouse"


def register_warehouse_of(kind: str, resolver: WarehouseOf) -> None:
    """Say how to find the warehouse of an object of this kind from its id."""
    _RESOLVERS[kind] = resolver


def register_model(kind: str, model, warehouse_of: Callable[[Any], int | None] = lambda r: r.warehouse_id) -> None:
    """A kind whose rows are a model: its warehouse is ``warehouse_of(row)`` (the row's warehouse_id)."""

    def resolve(pk: int):
        from ..extensions import db

        record = db.session.get(model, pk)
        return MISSING if record is None else warehouse_of(record)

    register_warehouse_of(kind, resolve)


def registered_kinds() -> tuple[str, ...]:
    _load_core_kinds()
    return tuple(sorted(_RESOLVERS))


def warehouse_of(kind: str, pk: int | None):
    """The warehouse id of the object, None when it has none yet, MISSING when there is no such object."""
    if pk is None:
        return MISSING
    _load_core_kinds()
    try:
        resolver = _RESOLVERS[kind]
    except KeyError:
        raise LookupError(f"no warehouse resolver registered for {kind!r}") from None
    return resolver(int(pk))


def may_access(warehouse_id, allowed: set[int] | None = CURRENT_USER) -> bool:
    """True when the current user (or the given set of warehouses; None = all) may work in that warehouse."""
    if allowed is CURRENT_USER:
        allowed = current_user.warehouse_ids()
    if warehouse_id is None or allowed is None:
        return True
    if isinstance(warehouse_id, tuple | list | set | frozenset):
        return any(w in allowed for w in warehouse_id)
    return warehouse_id in allowed


def require_warehouse_of(kind: str, pk: int | None, *, allowed: set[int] | None = CURRENT_USER) -> None:
    """Refuse unless the object exists (else NotFound, 404) and lies in a warehouse the current user
    may work in, or has no warehouse yet (else OtherWarehouse, 403)."""
    found = warehouse_of(kind, pk)
    if found is MISSING:
        raise NotFound(f"no such {kind}", code="not_found")
    if not may_access(found, allowed):
        raise OtherWarehouse(f"this {kind} belongs to a warehouse you do not work in", kind=kind)


def _load_core_kinds() -> None:
    """erp_core's own kinds register on first use (their models import the database)."""
    from . import warehouse_kinds  # noqa: F401


def require_all(kind: str, pks: Iterable[int | None]) -> None:
    for pk in pks:
        require_warehouse_of(kind, pk)


def warehouse_of_arg(kind: str, arg: str):
    """Decorate a view taking an object's id as the path variable `arg`: the object's warehouse is
    checked before anything else (before a REST body is parsed), with `require_warehouse_of`."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            require_warehouse_of(kind, kwargs.get(arg))
            return view(*args, **kwargs)

        return checked

    return decorate
