"""Find a file's columns by their headers: English names and Chinese aliases, however they are spaced."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from erp_core.fileimport.values import clean

_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


def header_key(text: str) -> str:
    """Normalise a header for lookup: trimmed, lower case, spaces and hyphens as underscores."""
    return _HEADER_SEPARATORS.sub("_", clean(text).lower())


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field is in a file: ``field -> (index, header as written)``."""

    found: Mapping[str, tuple[int, str]]

    @classmethod
    def resolve(cls, header: Sequence[str], aliases: Mapping[str, str]) -> Columns:
        """Map header cells to fields through ``aliases`` (normalised header -> field); first wins."""
        found: dict[str, tuple[int, str]] = {}
        for index, text in enumerate(header):
            name = aliases.get(header_key(text))
            if name is not None and name not in found:
                found[name] = (index, clean(text))
        return cls(found)

    def has(self, name: str) -> bool:
        """Whether the file has a column for ``name``."""
        return name in self.found

    def header(self, name: str, default: str | None = None) -> str:
        """The column's header as written in the file (or ``default``/``name`` when absent)."""
        found = self.found.get(name)
        if found is not None:
            return found[1]
        return name if default is None else default

    def get(self, cells: Sequence[str], name: str) -> str:
        """The trimmed cell of ``name`` in a row, or ``""``."""
        found = self.found.get(name)
        if found is None or found[0] >= len(cells):
            return ""
        return clean(cells[found[0]])

    def missing(self, required: Sequence[str]) -> list[str]:
        """The required fields that have no column."""
        return [name for name in required if name not in self.found]
