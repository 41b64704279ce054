"""What the command barcodes do on the cycle-count screen (see wms.commands, wms.handheld).

DONE finishes the bin being counted (what was not scanned counts 0, as the Finish bin button);
NEXT goes back to the list of counts; UNDO is refused: a counted unit is booked on the count line
and the handheld has no service to take it back (scan the bin again and recount).
"""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from wms.commands import Command
from wms.handheld import hx_redirect, register_commands
from wms.scanning import ScanRefused

from . import count_routes, scan_services
from .count_steps import CountState


def count_done(task_id: int):
    task, state = count_routes._count_task(task_id), CountState.from_form(request.form)
    if state.location_id is None:
        raise ScanRefused("scan a bin first", code="nothing_to_finish")
    return count_routes._counted(scan_services.finish_count_bin(task.id, state.location_id, user_id=current_user.id))


def count_next(task_id: int):
    count_routes._count_task(task_id)
    return hx_redirect(url_for("floor_tasks.count_list"))


def count_undo(task_id: int):  # noqa: ARG001
    raise ScanRefused("nothing to undo here", code="nothing_to_undo")


register_commands("count", {Command.DONE: count_done, Command.NEXT: count_next, Command.UNDO: count_undo})
