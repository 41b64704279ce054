"""Command barcodes through the real scan routes, as a scanner sends them: CMD-PAUSE pauses the cart,
CMD-SKIP moves on to the next pick, CMD-UNDO takes back an unconfirmed scan, CMD-LOGOUT logs out
(a POST with the CSRF token), an unknown CMD- code is refused and never read as a bin; the same on
the count and put-wall screens; and the printed command sheet scans back to every code."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from tests.integration.test_cycle_counts import bin_count, store  # noqa: F401  (fixture)
from tests.integration.test_picking import _pick_everything, _release
from tests.integration.test_picking import floor as pick_floor  # noqa: F401  (fixture)
from tests.integration.test_scan_routes_atomic import Handheld, assert_refused, sound
from tests.label_scans import decode, needs_poppler, rasterisers


@pytest.fixture
def picking(app, pick_floor, login_as):  # noqa: F811
    """A picker with a cluster cart of several picks open, at the bin step of the first."""
    from erp_core.extensions import db
    from wms.picking.services import pick_list_for

    _release(app, pick_floor, cart_items=20, cart_slots=6)
    handheld = Handheld(login_as("picker"))
    with app.app_context():
        cart = pick_list_for(pick_floor["picker"], None)
        tasks = [t for t in cart.tasks if t.status == "open"]
        assert len(tasks) >= 2
        first = {"id": tasks[0].id, "bin": tasks[0].location.barcode, "list": cart.id, "second": tasks[1].id}
        db.session.remove()
    return handheld, first


def _list_status(app, list_id):
    from erp_core.extensions import db
    from wms.picking.models import PickList

    with app.app_context():
        db.session.expire_all()
        return db.session.get(PickList, list_id).status


def _shown_task(response) -> str:
    text = response.get_data(as_text=True)
    return text.split('name="task_id" value="', 1)[1].split('"', 1)[0]


def test_cmd_pause_on_the_pick_screen_pauses_the_cart_and_goes_home(app, picking):
    handheld, task = picking
    answer = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-PAUSE")
    assert answer.headers["HX-Redirect"] == "/m/"
    assert _list_status(app, task["list"]) == "paused"


def test_cmd_skip_shows_the_next_pick_and_puts_this_one_at_the_end_of_the_cart(app, picking):
    from erp_core.extensions import db
    from wms.picking.models import PickTask

    handheld, task = picking
    answer = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-SKIP")
    assert sound(answer)[0] == "scan-ok"
    assert _shown_task(answer) == str(task["second"])
    with app.app_context():
        sequences = dict(db.session.execute(select(PickTask.id, PickTask.sequence)
                                            .filter_by(pick_list_id=task["list"], status="open")).all())
        assert sequences[task["id"]] == max(sequences.values())


def test_a_replayed_cmd_skip_is_applied_once(app, picking):
    handheld, task = picking
    key = uuid.uuid4().hex
    first = handheld.scan("/picking/pick/scan", key=key, task_id=task["id"], code="CMD-SKIP")
    replay = handheld.scan("/picking/pick/scan", key=key, task_id=task["id"], code="CMD-SKIP")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_data() == first.get_data()
    assert _shown_task(handheld.client.get("/picking/pick")) == str(task["second"])


def test_cmd_undo_takes_back_the_bin_scan_and_refuses_when_there_is_nothing_to_undo(app, picking):
    handheld, task = picking
    nothing = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-UNDO")
    assert "Nothing to undo here" in assert_refused(nothing)
    assert nothing.headers["HX-Retarget"] == "#hh-notice"  # the screen keeps its step
    at_item = handheld.scan("/picking/pick/scan", task_id=task["id"], code=task["bin"])
    assert 'data-step="item"' in at_item.get_data(as_text=True)
    back = handheld.scan("/picking/pick/scan", task_id=task["id"], bin=task["bin"], code="CMD-UNDO")
    assert sound(back)[0] == "scan-ok" and 'data-step="bin"' in back.get_data(as_text=True)


def test_cmd_short_opens_the_short_pick_form_and_cmd_done_says_what_is_still_open(app, picking):
    handheld, task = picking
    short = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-SHORT")
    assert sound(short)[0] == "scan-ok" and "<details class=\"card\" open>" in short.get_data(as_text=True)
    done = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-DONE")
    assert "still open on this cart" in assert_refused(done)


def test_an_unknown_command_is_refused_and_never_read_as_a_bin(app, picking):
    handheld, task = picking
    refused = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-DANCE")
    assert "CMD-DANCE is not a command" in assert_refused(refused)
    assert json.loads(refused.headers["HX-Trigger"]).keys() == {"scan-error"}


def test_cmd_logout_logs_the_picker_out(app, picking):
    handheld, task = picking
    answer = handheld.scan("/picking/pick/scan", task_id=task["id"], code="CMD-LOGOUT")
    assert answer.headers["HX-Redirect"].endswith("/login")
    assert handheld.client.get("/m/").status_code == 302  # logged out: the handheld home wants a login


def test_a_command_without_the_csrf_token_is_refused(app, picking):
    handheld, task = picking
    response = handheld.client.post("/picking/pick/scan", data={"task_id": task["id"], "code": "CMD-LOGOUT"},
                                    headers={"HX-Request": "true", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (400, 403)
    assert handheld.client.get("/m/").status_code == 200  # still logged in


def test_commands_on_the_count_screen(app, store, bin_count, login_as):  # noqa: F811
    from erp_core.extensions import db
    from wms.locations.models import CountLine

    handheld = Handheld(login_as("picker"))
    path = f"/tasks/count/{bin_count}/scan"
    assert "does nothing on this screen" in assert_refused(handheld.scan(path, code="CMD-PAUSE"))
    assert "CMD-NOPE is not a command" in assert_refused(handheld.scan(path, code="CMD-NOPE"))
    assert "Nothing to finish yet" in assert_refused(handheld.scan(path, code="CMD-DONE"))
    assert sound(handheld.scan(path, code="SH1-A01-03-1"))[0] == "scan-ok"
    finished = handheld.scan(path, code="CMD-DONE", location_id=store["b3"])  # the empty bin: finish it
    assert sound(finished)[0] == "scan-ok"
    with app.app_context():
        [line] = db.session.scalars(select(CountLine).filter_by(task_id=bin_count, location_id=store["b3"])).all()
        assert line.counted_quantity == 0
    assert handheld.scan(path, code="CMD-NEXT").headers["HX-Redirect"] == "/tasks/count"
    assert handheld.scan(path, code="CMD-LOGOUT").headers["HX-Redirect"].endswith("/login")


def test_commands_on_the_put_wall_screen(app, pick_floor, login_as):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from wms.picking.models import PickList

    _release(app, pick_floor, cart_items=20, cart_slots=6, multi_item_mode="batch_sort")
    _pick_everything(app, pick_floor)
    with app.app_context():
        pick_list = next(pl for pl in db.session.scalars(select(PickList)) if pl.wave.kind == "batch_sort")
        list_id, cart = pick_list.id, db.session.scalar(select(Location.barcode).filter_by(code=f"CART-{pick_list.id}"))
    handheld = Handheld(login_as("packer"))
    path = "/picking/sort/scan"
    assert "does nothing on this screen" in assert_refused(handheld.scan(path, step="cart", code="CMD-PAUSE"))
    assert "does nothing on this screen" in assert_refused(handheld.scan(path, step="cart", code="CMD-SKIP"))
    assert sound(handheld.scan(path, step="cart", code=cart))[0] == "scan-ok"
    assert "units are still on the cart" in assert_refused(handheld.scan(path, step="item", list_id=list_id,
                                                                          code="CMD-DONE"))
    where = handheld.scan(path, step="item", list_id=list_id, code="BC-B")
    assert 'data-step="slot"' in where.get_data(as_text=True)
    back = handheld.scan(path, step="slot", list_id=list_id, line_id=1, sku_id=1, slot=1, code="CMD-UNDO")
    assert 'data-step="item"' in back.get_data(as_text=True)
    again = handheld.scan(path, step="item", list_id=list_id, code="CMD-NEXT")
    assert 'data-step="cart"' in again.get_data(as_text=True)
    assert "CMD-X is not a command" in assert_refused(handheld.scan(path, step="cart", code="CMD-X"))
    assert handheld.scan(path, step="cart", code="CMD-LOGOUT").headers["HX-Redirect"].endswith("/login")


def test_logout_works_on_every_other_scan_screen(app, users, login_as):
    handheld = Handheld(login_as("supervisor"))
    answer = handheld.scan("/m/lookup/scan", code="CMD-LOGOUT")
    assert answer.headers["HX-Redirect"].endswith("/login")


@needs_poppler
def test_the_command_sheet_scans_back_to_every_command(app, users, login_as, tmp_path):
    from wms.commands import Command

    client = login_as("picker")
    assert "/m/commands.pdf" in client.get("/m/").get_data(as_text=True)  # linked from the handheld home
    response = client.get("/m/commands.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    wanted = sorted(c.code for c in Command)
    for renderer, pages in rasterisers(response.data, tmp_path).items():
        found = [text for page in pages for text in decode(page).get("Code128", [])]
        assert sorted(found) == wanted, renderer
        qr = [text for page in pages for text in decode(page).get("QRCode", [])]
        assert sorted(qr) == wanted, renderer


def test_the_command_sheet_names_each_command_in_both_languages(app, users, login_as):
    import pypdfium2

    response = login_as("picker").get("/m/commands.pdf")
    document = pypdfium2.PdfDocument(response.data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    for words in ("Pause cart", "暂停拣货车", "Log out", "退出", "Undo last scan", "撤销上次扫描"):
        assert words in text


def test_the_sheet_needs_a_login(app, client):
    assert client.get("/m/commands.pdf").status_code == 302
