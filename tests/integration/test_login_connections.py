"""A shift logging in at once: the password hash (a good part of a second of CPU each) runs while the
login holds no database connection, so the pool is not emptied by logins waiting on the CPU."""

from __future__ import annotations

from tests.conftest import login


class _Watched:
    """The app's password hasher, noting whether the session held a transaction when it verified."""

    def __init__(self, hasher) -> None:
        self.hasher, self.in_transaction = hasher, []

    def verify(self, stored: str, password: str) -> bool:
        from erp_core.extensions import db

        self.in_transaction.append(db.session().in_transaction())
        return self.hasher.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def test_a_password_login_holds_no_database_connection_while_the_password_is_hashed(app, client, users, monkeypatch):
    from erp_core.auth import services

    # given the app's hasher watched
    watched = _Watched(services._hasher)
    monkeypatch.setattr(services, "_hasher", watched)
    # when a picker logs in with the right password, and someone with a wrong one
    assert login(client, "picker").status_code == 302
    assert login(app.test_client(), "picker", "wrong-password-1").status_code == 401
    # then neither verification ran inside a database transaction
    assert watched.in_transaction == [False, False]
