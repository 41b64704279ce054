"""What every refusal says, in the reader's language (zh-CN and English).

A domain error carries a stable code and its details (the expected bin, the quantity left, ...).
`describe(error)` turns it into the sentence a person reads: the code's registered, translated
template filled from the details, or the error's own English message when the code has none yet.
A test enumerates every code the code base can raise and checks each has both texts.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import DomainError

# code -> translatable template; placeholders are %(name)s from the error's details.
MESSAGES: Mapping[str, object] = {}


class _Details(dict):
    """Missing placeholders read as an empty string instead of failing the whole message."""

    def __missing__(self, key: str) -> str:
        return ""


def describe(error: DomainError) -> str:
    """The refusal in the current request's language, with what was expected."""
    template = MESSAGES.get(error.code)
    if template is None:
        return error.message
    return str(template) % _Details({k: v for k, v in error.details.items()})
