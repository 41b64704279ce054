"""The command-barcode parser: CMD- codes name a command, anything else is a scan of the screen."""

from __future__ import annotations

import pytest

from wms.commands import SHEET_ORDER, Command, parse


@pytest.mark.parametrize("command", list(Command))
def test_every_command_reads_back_from_its_own_code(command):
    assert parse(command.code).command is command


def test_a_scanner_in_caps_lock_or_with_underscores_still_names_the_command():
    assert parse("cmd-pause").command is Command.PAUSE
    assert parse(" CMD_LOGOUT\r\n").command is Command.LOGOUT


def test_an_unknown_cmd_code_is_a_command_nobody_knows_not_a_bin():
    scanned = parse("CMD-DANCE")
    assert scanned is not None and scanned.command is None and scanned.code == "CMD-DANCE"


@pytest.mark.parametrize("code", ["SH1-A01-01-1", "6901234567892", "", None, "CMDDONE", "X-CMD-DONE"])
def test_bins_items_and_empty_scans_are_not_commands(code):
    assert parse(code) is None


def test_the_sheet_prints_every_command_once():
    assert sorted(SHEET_ORDER) == sorted(Command) and len(set(SHEET_ORDER)) == len(SHEET_ORDER)
