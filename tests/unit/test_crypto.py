"""Secrets at rest: encrypted with the data key, readable back, unreadable with another key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from erp_core import crypto
from erp_core.errors import DomainError


def test_a_secret_is_stored_encrypted_and_read_back(monkeypatch):
    monkeypatch.setenv("WMS_DATA_KEY", Fernet.generate_key().decode())
    stored = crypto.encrypt("shpat_0123456789abcdef")
    assert stored.startswith("fernet:") and "shpat" not in stored
    assert crypto.decrypt(stored) == "shpat_0123456789abcdef"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_a_secret_cannot_be_read_with_another_key(monkeypatch):
    monkeypatch.setenv("WMS_DATA_KEY", Fernet.generate_key().decode())
    stored = crypto.encrypt("app-secret")
    monkeypatch.setenv("WMS_DATA_KEY", Fernet.generate_key().decode())
    with pytest.raises(DomainError) as refused:
        crypto.decrypt(stored)
    assert refused.value.code == "secret_unreadable"


def test_without_a_configured_key_one_is_made_in_the_instance_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("WMS_DATA_KEY", raising=False)
    monkeypatch.setenv("WMS_INSTANCE_DIR", str(tmp_path))
    stored = crypto.encrypt("token")
    key_file = tmp_path / "data_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert crypto.decrypt(stored) == "token"
