"""Command barcodes (指令条码): codes on a printed sheet that a scanner reads into any handheld scan field.

Pure: a scanned text in, the command it names (or None) out; neither Flask nor the database. The
handheld's scan routes ask `parse` first (`wms.handheld.handheld_commands`) and, for a command, let
the screen act on it instead of taking the text as a bin, an item or a slot.

A code is `CMD-` and the command's name. Scanners in keyboard mode may send it in lower case (Caps
Lock) or with `_` for `-` (some keyboard layouts): both are read the same. A `CMD-` code the sheet
does not have is an unknown command (refused), never a bin or an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PREFIX = "CMD-"


class Command(StrEnum):
    DONE = "done"
    SHORT = "short"
    SKIP = "skip"
    UNDO = "undo"
    NEXT = "next"
    PAUSE = "pause"
    LOGOUT = "logout"

    @property
    def code(self) -> str:
        """What the barcode encodes: CMD-DONE, CMD-SHORT, ..."""
        return PREFIX + self.name


# The order the sheet prints them in.
SHEET_ORDER: tuple[Command, ...] = (Command.DONE, Command.SHORT, Command.SKIP, Command.UNDO, Command.NEXT,
                                    Command.PAUSE, Command.LOGOUT)
_BY_NAME = {c.name: c for c in Command}


@dataclass(frozen=True)
class Scanned:
    """A scanned command code: `command` is None when the code is a CMD- code the sheet does not have."""

    code: str
    command: Command | None


def parse(scanned: str | None) -> Scanned | None:
    """The command a scan names; None when the scan is not a command code (a bin, an item, a slot)."""
    text = (scanned or "").strip().upper().replace("_", "-")
    if not text.startswith(PREFIX):
        return None
    return Scanned(text, _BY_NAME.get(text[len(PREFIX):]))
