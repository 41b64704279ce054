"""The live board's fragments: rendered once per language and room, sent by the coalesced sender
(events.py) and answered whole to a page that asks for a snapshot after a reconnect (board_events.py)."""

from __future__ import annotations

from flask import render_template

from .board import Board, WaveFigures, board, pickers_of_shift, wave_figures
from .models import Wave


def row_payload(row: WaveFigures) -> dict:
    """The figures sent next to a board row (for pages and tests that read numbers, not HTML)."""
    return {"wave": row.wave.id, "reference": row.wave.reference, "status": row.wave.status,
            "picked": row.picked.units + row.short_units, "total": row.units, "lines": row.lines,
            "lines_picked": row.picked.lines, "late": bool(row.pace and row.pace.late)}


def render_row(row: WaveFigures) -> str:
    return render_template("picking/_board_row.html", row=row)


def render_rows(snapshot: Board) -> str:
    return render_template("picking/_board_rows.html", board=snapshot)


def render_panels(snapshot: Board) -> str:
    return render_template("picking/_board_panels.html", board=snapshot)


def render_pickers(warehouse_id: int, pickers: list) -> str:
    return render_template("picking/_board_pickers.html", warehouse_id=warehouse_id, pickers=pickers)


def render_wave_live(row: WaveFigures) -> str:
    return render_template("picking/_wave_live.html", row=row)


def emit_board(warehouse_id: int, waves: list[Wave]) -> None:
    """After commit, from the coalesced sender: the marked waves' rows and wave pages, then the
    warehouse's panels and per-picker table, all read with one board() query set.

    Only what somebody listens to is read and rendered: no board page open, no board(); no
    "pickers this shift" page open, no per-picker table (it is a query over the whole shift).
    """
    from erp_core.i18n import LOCALES
    from wms.realtime import broadcast_rendered, has_listeners, pickers_room, warehouse_room, wave_room

    def watched(room) -> bool:
        return any(has_listeners(room(locale)) for locale in LOCALES)

    on_board = watched(lambda locale: warehouse_room(warehouse_id, locale))
    pages = [w for w in waves if watched(lambda locale, wave_id=w.id: wave_room(wave_id, locale))]
    snapshot = board(warehouse_id) if on_board else None
    rows = {r.wave.id: r for r in snapshot.waves} if snapshot else {}
    missing = [w for w in (waves if on_board else pages) if w.id not in rows]  # finished or cancelled since
    rows.update((r.wave.id, r) for r in wave_figures(missing, snapshot.now if snapshot else None))
    for wave in waves:
        row = rows.get(wave.id)
        if row is None:
            continue
        broadcast_rendered("wave_progress", row_payload(row), f"wave-{wave.id}", warehouse_id,
                           lambda row=row: render_row(row))
        broadcast_rendered("wave_live", {"wave": wave.id, "status": wave.status}, f"wave-live-{wave.id}",
                           warehouse_id, lambda row=row: render_wave_live(row),
                           room=lambda locale, wave_id=wave.id: wave_room(wave_id, locale))
    if snapshot is not None:
        broadcast_rendered("board_panels", {"warehouse": warehouse_id}, f"board-panels-{warehouse_id}",
                           warehouse_id, lambda: render_panels(snapshot))
    if watched(lambda locale: pickers_room(warehouse_id, locale)):
        pickers = pickers_of_shift(warehouse_id, snapshot.now if snapshot else None)
        broadcast_rendered("board_pickers", {"warehouse": warehouse_id}, f"board-pickers-{warehouse_id}",
                           warehouse_id, lambda: render_pickers(warehouse_id, pickers),
                           room=lambda locale: pickers_room(warehouse_id, locale))


def board_fragments(warehouse_id: int, view: str) -> list[dict]:
    """The whole board (view "board") or the per-picker table (view "pickers"), as fragments."""
    if view == "pickers":
        return [{"target": f"board-pickers-{warehouse_id}",
                 "html": render_pickers(warehouse_id, pickers_of_shift(warehouse_id))}]
    snapshot = board(warehouse_id)
    return [{"target": f"board-rows-{warehouse_id}", "html": render_rows(snapshot)},
            {"target": f"board-panels-{warehouse_id}", "html": render_panels(snapshot)}]


def wave_fragments(wave: Wave) -> list[dict]:
    row = wave_figures([wave])[0]
    return [{"target": f"wave-live-{wave.id}", "html": render_wave_live(row)}]
