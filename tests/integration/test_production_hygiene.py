"""What a careless operator or a hostile client meets: pages errors as pages, no cached copies of
data, a CSP that connects only to this host, HSTS in production, no demo logins on a production
database, no development server in production, and a huge scan that does not blow up a header."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import page_csrf

ROOT = Path(__file__).resolve().parents[2]


def test_an_upload_over_the_limit_on_a_page_answers_a_page_not_json(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    client = login_as("admin")
    token = page_csrf(client, "/intake/imports")
    answer = client.post("/intake/imports", data={"csrf_token": token, "file": (io.BytesIO(b"x" * 4096), "big.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 413
    assert answer.mimetype == "text/html" and "The upload is too large." in answer.get_data(as_text=True)
    api = client.post("/api/v1/orders", data=b"x" * 4096, headers={"X-CSRFToken": token},
                      content_type="application/json")
    assert api.status_code == 413 and api.get_json()["code"] == "too_large"


def test_pages_fragments_and_api_answers_are_not_stored_but_static_files_may_be(app, login_as):
    client = login_as("viewer")
    for path in ("/", "/stock/", "/api/v1/me"):
        answer = client.get(path, follow_redirects=True)
        assert answer.headers.get("Cache-Control") == "no-store", path
    assert client.get("/static/css/app.css").headers.get("Cache-Control") != "no-store"


def test_the_csp_lets_pages_connect_to_this_host_only(app, login_as):
    client = login_as("packer")
    for path in ("/", "/shipping/pack"):
        csp = client.get(path).headers["Content-Security-Policy"]
        connect = next(part.strip() for part in csp.split(";") if part.strip().startswith("connect-src"))
        assert connect == "connect-src 'self'", (path, connect)


def test_hsts_is_sent_in_production_only(app, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setitem(app.config, "WMS_ENV", "production")
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_demo_data_is_refused_on_a_production_database(app, monkeypatch):
    from sqlalchemy import func, select

    from erp_core.auth.models import User
    from erp_core.extensions import db

    monkeypatch.setitem(app.config, "WMS_ENV", "production")
    result = app.test_cli_runner().invoke(args=["demo-data", "--orders", "5"])
    assert result.exit_code != 0 and "WMS_ENV=production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_the_development_server_refuses_to_run_in_production(tmp_path):
    env = {"WMS_ENV": "production", "SECRET_KEY": "x" * 32, "WMS_INSTANCE_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "gunicorn" in done.stderr


def test_a_huge_scan_is_answered_with_a_small_trigger_header(app, login_as):
    client = login_as("picker")
    token = page_csrf(client, "/inbound/receive")
    code = "X" * 100_000  # "No ASN has this reference: XXXX..." quotes the scan
    answer = client.post("/inbound/receive/open", data={"code": code},
                         headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert answer.status_code == 200
    trigger = answer.headers["HX-Trigger"]
    assert len(trigger) < 1000 and json.loads(trigger)["scan-error"].startswith("No ASN has this reference")
