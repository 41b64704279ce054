"""The unit of work: all of it or none of it; nested, a savepoint; callbacks only after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from erp_core.db import atomic, on_commit
from erp_core.errors import Conflict
from erp_core.extensions import db
from erp_core.settings import Setting


class Boom(Exception):
    pass


def _keys() -> set[str]:
    return set(db.session.scalars(select(Setting.key)))


def _add(key: str) -> None:
    db.session.add(Setting(key=key, value="1"))
    db.session.flush()


def test_commits_the_work_when_the_block_ends(ctx):
    with atomic():
        _add("a")
    db.session.remove()
    assert _keys() == {"a"}


def test_rolls_back_everything_on_error(ctx):
    with pytest.raises(Boom), atomic():
        _add("a")
        raise Boom
    db.session.remove()
    assert _keys() == set()


def test_a_failed_nested_block_rolls_back_only_its_own_work(ctx):
    with atomic():
        _add("outer")
        try:
            with atomic():
                _add("inner")
                raise Conflict("refused")
        except Conflict:
            pass
        _add("after")
    db.session.remove()
    assert _keys() == {"outer", "after"}


def test_a_nested_block_that_succeeds_commits_with_the_outer_one(ctx):
    with pytest.raises(Boom), atomic():
        with atomic():
            _add("inner")
        raise Boom
    db.session.remove()
    assert _keys() == set()


def test_a_constraint_refused_at_the_end_of_a_nested_block_undoes_that_block(ctx):
    with atomic():
        _add("dup")
        with pytest.raises(Exception), atomic():  # noqa: B017 (the driver's IntegrityError)
            db.session.add(Setting(key="dup", value="2"))
        _add("next")
    db.session.remove()
    assert _keys() == {"dup", "next"}


def test_callbacks_run_after_the_outermost_commit_only(ctx):
    seen = []
    with atomic():
        on_commit(lambda: seen.append("outer"))
        with atomic():
            on_commit(lambda: seen.append("inner"))
        assert seen == []
    assert seen == ["outer", "inner"]


def test_callbacks_of_a_rolled_back_savepoint_are_dropped(ctx):
    seen = []
    with atomic():
        on_commit(lambda: seen.append("outer"))
        with pytest.raises(Boom), atomic():
            on_commit(lambda: seen.append("inner"))
            with atomic():
                on_commit(lambda: seen.append("innermost"))
            raise Boom
    assert seen == ["outer"]


def test_callbacks_are_dropped_when_the_whole_unit_rolls_back(ctx):
    seen = []
    with pytest.raises(Boom), atomic():
        on_commit(lambda: seen.append("x"))
        raise Boom
    assert seen == []


def test_deeply_nested_failures_keep_every_level_above_them(ctx):
    with atomic():
        _add("1")
        with atomic():
            _add("2")
            with pytest.raises(Boom), atomic():
                _add("3")
                raise Boom
        assert db.session.scalar(select(func.count()).select_from(Setting)) == 2
    db.session.remove()
    assert _keys() == {"1", "2"}
