"""Printing: printers per station set up through the screen and the API; a job queued in a transaction
is sent in the background only after it commits — to a raw TCP 9100 listener (the printer's stand-in)
byte for byte, or through a fake `lp` on PATH with the queue and the file; a dead printer fails the
job with its error and a retry prints it; a printed job is reprinted; and who may do what."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import login, page_csrf
from tests.shipping_helpers import shipping_floor

pytestmark = pytest.mark.timeout(120)

ZPL = b"^XA^PW812^LL1218^FO50,50^BCN,120,N,N,N^FDZT7000000001^FS^XZ"


@pytest.fixture
def desk(app, users, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "PRINT_BACKOFF_SECONDS", 0)
    monkeypatch.setitem(app.config, "PRINT_TIMEOUT_SECONDS", 3)
    floor = shipping_floor(app, users, orders=[], pick=False)
    from erp_core.extensions import db
    from erp_core.inventory.models import Location

    with app.app_context():
        floor["stations"] = dict(db.session.execute(select(Location.code, Location.id)
                                                    .where(Location.bin_type == "packing")).all())
    return floor


class Listener:
    """A one-connection-at-a-time TCP server on 127.0.0.1: what each connection sent, in order."""

    def __init__(self, port: int = 0):
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
                self.received.append(b"".join(chunks))

    def wait_for(self, count: int = 1, limit_s: float = 10.0) -> list[bytes]:
        """What was received, once `count` connections have ended (bounded): the sender's job may be
        marked done a moment before this side has read the connection to its end."""
        deadline = time.monotonic() + limit_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def _add_printer(client, desk, **fields):
    form = {"csrf_token": page_csrf(client, "/shipping/printers/new"), "name": "PACK-01 label",
            "warehouse_id": str(desk["wh"]), "station_location_id": str(desk["stations"]["PACK-01"]),
            "kind": "tcp9100", "language": "zpl", "dpi": "203", "label_format": "100x150", "active": "1"}
    form.update(fields)
    return client.post("/shipping/printers/new", data=form)


def _printer_id(app, name="PACK-01 label") -> int:
    from erp_core.extensions import db
    from wms.shipping.models import Printer

    with app.app_context():
        return db.session.scalar(select(Printer.id).filter_by(name=name))


def _queue(app, printer_id, payload=ZPL, content_type="application/x-zpl", reference="SHP-1") -> int:
    from erp_core.db import atomic
    from wms.shipping.printing import enqueue_print

    with app.app_context(), atomic():
        return enqueue_print(printer_id, "waybill", reference, payload, content_type, None).id


def _finished(app, job_id) -> dict:
    """Poll the job until its sender thread has ended it (bounded loop)."""
    from erp_core.extensions import db
    from wms.shipping.models import PrintJob

    state = {}
    for _ in range(400):
        with app.app_context():
            job = db.session.get(PrintJob, job_id)
            state = {"status": job.status, "attempts": job.attempts, "last_error": job.last_error}
            db.session.remove()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.025)
    pytest.fail(f"print job {job_id} did not finish: {state}")


def test_a_zpl_job_reaches_the_tcp_9100_printer_byte_for_byte_after_the_commit(app, client, desk, listener):
    login(client, "supervisor")
    assert _add_printer(client, desk, address=f"127.0.0.1:{listener.port}").status_code == 302
    job_id = _queue(app, _printer_id(app))
    assert _finished(app, job_id) == {"status": "done", "attempts": 1, "last_error": ""}
    assert listener.wait_for(1) == [ZPL]


def test_a_job_queued_in_a_transaction_that_rolls_back_is_never_written_nor_sent(app, client, desk, listener):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from wms.shipping.models import PrintJob
    from wms.shipping.printing import enqueue_print

    login(client, "supervisor")
    _add_printer(client, desk, address=f"127.0.0.1:{listener.port}")
    printer_id = _printer_id(app)
    with app.app_context():
        with pytest.raises(RuntimeError), atomic():
            enqueue_print(printer_id, "waybill", "SHP-1", ZPL, "application/x-zpl", None)
            raise RuntimeError("the pack-out failed after queueing its label")
        assert db.session.scalar(select(func.count(PrintJob.id))) == 0
    time.sleep(0.3)
    assert listener.received == []


def test_the_default_port_is_9100_and_a_bad_address_is_refused_with_nothing_saved(app, client, desk):
    from erp_core.extensions import db
    from wms.shipping.models import Printer

    login(client, "supervisor")
    _add_printer(client, desk, address="192.168.1.50")
    refused = _add_printer(client, desk, name="bad", address="printer one:99999")
    assert refused.status_code == 422 and "host:port" in refused.get_data(as_text=True)
    with app.app_context():
        assert [(p.name, p.address) for p in db.session.scalars(select(Printer))] == [("PACK-01 label",
                                                                                       "192.168.1.50:9100")]


def _fake_lp(tmp_path, monkeypatch, exit_code=0):
    """An `lp` first on PATH that records its arguments and a copy of the file it was given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "lp"
    script.write_text(f"""#!/bin/sh
printf '%s\\n' "$@" > "{tmp_path}/lp-args"
for last; do :; done
cp "$last" "{tmp_path}/lp-file"
echo "lp: printer jammed" >&2
exit {exit_code}
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    return tmp_path


def test_a_cups_printer_runs_lp_with_the_queue_raw_and_the_file(app, client, desk, tmp_path, monkeypatch):
    spool = _fake_lp(tmp_path, monkeypatch)
    login(client, "supervisor")
    _add_printer(client, desk, kind="cups", address="Zebra_ZT230")
    job_id = _queue(app, _printer_id(app))
    assert _finished(app, job_id)["status"] == "done"
    args = (spool / "lp-args").read_text().splitlines()
    assert args[:4] == ["-d", "Zebra_ZT230", "-o", "raw"] and len(args) == 5
    assert (spool / "lp-file").read_bytes() == ZPL


def test_a_pdf_goes_to_cups_without_the_raw_option(app, client, desk, tmp_path, monkeypatch):
    spool = _fake_lp(tmp_path, monkeypatch)
    login(client, "supervisor")
    _add_printer(client, desk, name="A4 office", kind="cups", address="office-a4", language="pdf")
    job_id = _queue(app, _printer_id(app, "A4 office"), b"%PDF-1.7 fake", "application/pdf")
    assert _finished(app, job_id)["status"] == "done"
    assert (spool / "lp-args").read_text().splitlines()[:2] == ["-d", "office-a4"]
    assert "raw" not in (spool / "lp-args").read_text()


def test_a_cups_queue_name_that_could_smuggle_an_option_is_refused(app, client, desk):
    login(client, "supervisor")
    _add_printer(client, desk, kind="cups", address="-oraw;rm")
    assert _printer_id(app) is None


def test_a_dead_printer_fails_the_job_with_its_error_and_a_retry_prints_it(app, client, desk):
    login(client, "supervisor")
    dead_port = _free_port()
    _add_printer(client, desk, address=f"127.0.0.1:{dead_port}")
    printer_id = _printer_id(app)
    job_id = _queue(app, printer_id)
    failed = _finished(app, job_id)
    assert failed["status"] == "failed" and failed["attempts"] == 2 and f"127.0.0.1:{dead_port}" in failed["last_error"]

    page = client.get("/shipping/print-jobs").get_data(as_text=True)
    assert f'id="print-job-{job_id}"' in page and failed["last_error"] in page
    server = Listener(dead_port)  # the printer is switched on again
    try:
        response = client.post(f"/shipping/print-jobs/{job_id}/retry", data={"csrf_token": page_csrf(client, "/")})
        assert response.status_code == 302
        assert _finished(app, job_id) == {"status": "done", "attempts": 3, "last_error": ""}
        for _ in range(100):
            if server.received:
                break
            time.sleep(0.02)
        assert server.received == [ZPL]
        again = client.post(f"/shipping/print-jobs/{job_id}/retry", data={"csrf_token": page_csrf(client, "/")},
                            headers={"Referer": "http://localhost/shipping/print-jobs"})
        assert again.status_code == 302  # a done job is not retried: refused, flashed, nothing sent
        time.sleep(0.2)
        assert len(server.received) == 1
    finally:
        server.close()


def test_a_printed_job_is_reprinted_and_a_browser_job_is_a_download(app, client, desk):
    login(client, "supervisor")
    _add_printer(client, desk, name="Desk browser", kind="browser", language="pdf", address="")
    job_id = _queue(app, _printer_id(app, "Desk browser"), b"%PDF-1.7 waybill", "application/pdf")
    assert _finished(app, job_id)["status"] == "done"
    download = client.get(f"/shipping/print-jobs/{job_id}/download")
    assert download.status_code == 200 and download.data == b"%PDF-1.7 waybill"
    assert download.headers["Content-Type"] == "application/pdf"
    response = client.post(f"/shipping/print-jobs/{job_id}/reprint", data={"csrf_token": page_csrf(client, "/")})
    assert response.status_code == 302
    assert _finished(app, job_id) == {"status": "done", "attempts": 2, "last_error": ""}


def test_a_pdf_is_refused_for_a_zpl_printer(app, client, desk):
    from erp_core.errors import ValidationFailed

    login(client, "supervisor")
    _add_printer(client, desk, address="127.0.0.1:9")
    with pytest.raises(ValidationFailed) as refused:
        _queue(app, _printer_id(app), b"%PDF-1.7", "application/pdf")
    assert refused.value.code == "printer_language_mismatch"


def test_packers_see_their_stations_jobs_only_and_only_managers_set_printers_up(app, client, desk):
    login(client, "supervisor")
    _add_printer(client, desk, name="P1", kind="browser", language="pdf")
    _add_printer(client, desk, name="P2", kind="browser", language="pdf",
                 station_location_id=str(desk["stations"]["PACK-02"]))
    job_1 = _queue(app, _printer_id(app, "P1"), b"%PDF one", "application/pdf", reference="SHP-ONE")
    job_2 = _queue(app, _printer_id(app, "P2"), b"%PDF two", "application/pdf", reference="SHP-TWO")
    _finished(app, job_1), _finished(app, job_2)
    client.post("/logout", data={"csrf_token": page_csrf(client, "/")})

    login(client, "packer")
    assert client.get("/shipping/printers").status_code == 403
    assert client.get("/shipping/printers/new").status_code == 403
    assert "SHP-ONE" not in client.get("/shipping/print-jobs").get_data(as_text=True)  # no station chosen yet
    mine = client.get(f"/shipping/print-jobs?station={desk['stations']['PACK-01']}").get_data(as_text=True)
    assert "SHP-ONE" in mine and "SHP-TWO" not in mine
    assert client.get(f"/shipping/print-jobs/{job_1}/download").status_code == 200
    assert client.get(f"/shipping/print-jobs/{job_2}/download").status_code == 403
    assert client.post(f"/shipping/print-jobs/{job_2}/reprint",
                       data={"csrf_token": page_csrf(client, "/")}).status_code == 403
    client.post("/logout", data={"csrf_token": page_csrf(client, "/")})

    login(client, "picker")
    assert client.get("/shipping/print-jobs").status_code == 403


def test_the_printers_api_creates_reads_updates_and_deletes_with_idempotency(app, client, desk):
    login(client, "supervisor")
    headers = {"X-CSRFToken": page_csrf(client, "/"), "Idempotency-Key": "printer-1"}
    body = {"name": "PACK-02 zebra", "warehouse_id": desk["wh"], "station_location_id": desk["stations"]["PACK-02"],
            "kind": "tcp9100", "address": "10.0.0.7", "language": "zpl", "dpi": 300, "label_format": "76x130"}
    created = client.post("/api/v1/printers", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["address"] == "10.0.0.7:9100"
    replay = client.post("/api/v1/printers", json=body, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_json()["id"] == created.get_json()["id"]
    printer_id = created.get_json()["id"]
    assert [p["name"] for p in client.get("/api/v1/printers").get_json()] == ["PACK-02 zebra"]
    bad = client.put(f"/api/v1/printers/{printer_id}", json={**body, "kind": "cups", "address": "bad queue"},
                     headers={"X-CSRFToken": headers["X-CSRFToken"]})
    assert bad.status_code == 422 and bad.get_json()["code"] == "printer_queue_invalid"
    updated = client.put(f"/api/v1/printers/{printer_id}", json={**body, "kind": "cups", "address": "zebra2"},
                         headers={"X-CSRFToken": headers["X-CSRFToken"]})
    assert updated.status_code == 200 and updated.get_json()["kind"] == "cups"
    assert client.delete(f"/api/v1/printers/{printer_id}",
                         headers={"X-CSRFToken": headers["X-CSRFToken"]}).status_code == 204
    assert client.get(f"/api/v1/printers/{printer_id}").status_code == 404
    client.post("/logout", data={"csrf_token": page_csrf(client, "/")})

    login(client, "packer")
    denied = client.post("/api/v1/printers", json=body, headers={"X-CSRFToken": page_csrf(client, "/")})
    assert denied.status_code == 403 and denied.get_json()["code"] == "forbidden"
