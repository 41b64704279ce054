"""Upload limits and error reports as files, through the screens a user posts files to."""
# ruff: noqa: F811 (the ``shop`` fixture of test_import_jobs, imported to be shared)

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf
from tests.integration.test_import_jobs import _count_orders, _fixture, _start, _upload, shop  # noqa: F401

HEADER = (b"order_no,buyer_name,phone,province,city,address,sku,quantity,unit_price\r\n")


def _template_rows(count: int, start: int = 1) -> bytes:
    return b"".join(f"L{n:06d},张三,13800000000,浙江省,杭州市,文三路1号,TEA-LJ-250,1,10.00\r\n".encode()
                    for n in range(start, start + count))


def _zip_bomb() -> bytes:
    """An XLSX-looking archive whose sheet unpacks to 60 MB of spaces from a few dozen KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * 60_000_000 + b"</worksheet>")
    return buffer.getvalue()


def _jobs(app) -> int:
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db

    with app.app_context():
        count = db.session.scalar(select(func.count(ImportJob.id)))
        db.session.remove()
    return count


def test_a_file_over_the_row_limit_is_refused_at_upload_and_nothing_is_stored(app, login_as, shop, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    client = login_as("supervisor")
    # when a user uploads a template with 6 order lines while one import may hold 5
    response = _upload(client, shop["MANUAL"], [("big.csv", HEADER + _template_rows(6))])
    # then the upload is refused with the reason and no job is queued, no order stored
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "big.csv has more than 5 rows" in page
    assert _jobs(app) == 0 and _count_orders(app) == 0


def test_a_file_at_the_row_limit_is_imported(app, login_as, shop, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    client = login_as("supervisor")
    job = _start(client, app, shop["MANUAL"], [("five.csv", HEADER + _template_rows(5))])
    assert job["status"] == "done" and job["created_orders"] == 5


def test_a_zip_bomb_xlsx_is_refused_at_upload_before_it_is_unpacked(app, login_as, shop):
    client = login_as("supervisor")
    bomb = _zip_bomb()
    assert len(bomb) < 200_000
    response = _upload(client, shop["MANUAL"], [("orders.xlsx", bomb)])
    assert response.status_code == 422
    assert "compression bomb" in response.get_data(as_text=True)
    assert _jobs(app) == 0 and _count_orders(app) == 0


def test_an_xlsx_unpacking_past_the_size_limit_is_refused(app, login_as, shop, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNZIPPED_MB", 10)
    client = login_as("supervisor")
    response = _upload(client, shop["MANUAL"], [("orders.xlsx", _zip_bomb())])
    assert response.status_code == 422 and "more than 10 MB" in response.get_data(as_text=True)


def test_a_huge_cell_rejects_the_file_with_its_line_and_column(app, login_as, shop, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELL_CHARS", 100)
    client = login_as("supervisor")
    rows = _template_rows(2) + f"L9,{'张' * 101},13800000000,浙江省,杭州市,文三路1号,TEA-LJ-250,1,10.00\r\n".encode()
    job = _start(client, app, shop["MANUAL"], [("huge.csv", HEADER + rows)])
    # then the job ends with the cell reported (file, line, column, reason) and nothing of the file stored
    assert job["status"] == "done" and job["created_orders"] == 0
    assert "huge.csv,4,buyer_name,cell_too_long" in job["report_preview"]
    assert _count_orders(app) == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_template_files_in_every_chinese_encoding_are_imported(app, login_as, shop, encoding):
    client = login_as("supervisor")
    name, data = _fixture("template_orders.csv")
    text = data.decode("utf-8-sig")
    job = _start(client, app, shop["MANUAL"], [(name, text.encode(encoding))])
    assert job["status"] == "done" and job["created_orders"] == 4 and job["error_rows"] == 0


def test_broken_bytes_are_a_clear_error_not_a_server_error(app, login_as, shop):
    client = login_as("supervisor")
    job = _start(client, app, shop["MANUAL"], [("broken.csv", HEADER + b"\xff\xfe\x00\x81\x00\xfe" * 20)])
    assert job["status"] == "done" and "broken.csv,,,bad_encoding" in job["report_preview"]


def test_the_error_report_is_a_file_downloaded_whole_and_removed_with_its_job(app, login_as, shop):
    from erp_core.channels.jobs import PREVIEW_ROWS, delete_job, reports_dir

    client = login_as("supervisor")
    # given an import with more rejected rows than the job page shows
    bad = b"".join(f"B{n},张三,13800000000,浙江省,杭州市,文三路1号,NO-SUCH-SKU,1,10.00\r\n".encode()
                   for n in range(PREVIEW_ROWS + 30))
    job = _start(client, app, shop["MANUAL"], [("bad.csv", HEADER + bad)])
    # then the report is a file under the instance directory, the job keeps its name and first rows
    with app.app_context():
        path = reports_dir() / job["report_path"]
    assert job["report_path"] == f"{job['id']}.csv" and path.is_file()
    assert job["error_rows"] == PREVIEW_ROWS + 30
    assert job["report_preview"].count("unknown_sku") == PREVIEW_ROWS
    # when the user downloads it, every row is there
    response = client.get(f"/intake/imports/{job['id']}/errors.csv")
    body = response.get_data()
    assert response.status_code == 200 and body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").count("unknown_sku") == PREVIEW_ROWS + 30
    # when the job is deleted, its file goes with it
    with app.app_context():
        delete_job(job["id"])
    assert not path.exists() and _jobs(app) == 0


def test_old_reports_are_purged_and_the_download_falls_back_to_the_preview(app, login_as, shop):
    from erp_core.channels.jobs import reports_dir, run_import_report_purge
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    client = login_as("supervisor")
    job = _start(client, app, shop["MANUAL"], [_fixture("template_with_errors.csv")])
    with app.app_context():
        path = reports_dir() / job["report_path"]
        assert path.is_file()
        # a purge now keeps it; one 31 days later (IMPORT_REPORT_DAYS is 30) removes it, once
        assert run_import_report_purge() == 0
        later = utcnow() + timedelta(days=31)
        assert run_import_report_purge(later) == 1 and run_import_report_purge(later) == 0
        assert db.session.get(ImportJob, job["id"]).report_path == ""
        db.session.remove()
    assert not path.exists()
    response = client.get(f"/intake/imports/{job['id']}/errors.csv")
    assert response.status_code == 200 and "file,line,column,code" in response.get_data(as_text=True)


def test_the_catalog_upload_refuses_a_zip_bomb_with_a_file_error(app, login_as):
    client = login_as("admin")
    token = page_csrf(client, "/catalog/import")
    upload = {"csrf_token": token, "file": (io.BytesIO(_zip_bomb()), "skus.xlsx")}
    response = client.post("/catalog/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 200 and "zip_bomb" in response.get_data(as_text=True)
