"""Secrets kept at rest encrypted (shops' platform credentials, webhook signing secrets, carriers'
API keys): Fernet (AES-128-CBC + HMAC-SHA256, from the maintained `cryptography` package).

The key is WMS_DATA_KEY (a Fernet key, urlsafe base64 of 32 bytes) when set — give every process of
one deployment the same one — else a key generated once into the instance directory
(`instance/data_key`, mode 0600, never in the repository). Losing the key loses the secrets (they
are typed again); the database alone does not reveal them. A value is stored as `fernet:<token>`,
so a column can tell an encrypted value from an empty one.
"""

from __future__ import annotations

import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from .config import instance_dir
from .errors import DomainError

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(key: str | None, instance: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    path = os.path.join(instance, "data_key")
    if not os.path.exists(path):
        os.makedirs(instance, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(Fernet.generate_key())
    with open(path, "rb") as handle:
        return Fernet(handle.read().strip())


def _key() -> Fernet:
    return _fernet(os.environ.get("WMS_DATA_KEY") or None, str(instance_dir()))


def encrypt(plain: str) -> str:
    """The value as stored: '' stays '' (nothing set), anything else `fernet:<token>`."""
    if not plain:
        return ""
    return PREFIX + _key().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    """The plain value of a stored one ('' when nothing is set). A value stored without the prefix
    (written before encryption) is returned as it is; a token the key cannot open is refused."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _key().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise DomainError("a stored secret cannot be read with this server's data key (WMS_DATA_KEY)",
                          code="secret_unreadable") from error
