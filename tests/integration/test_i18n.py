"""Both languages render: the browser's choice, the user's setting, and a complete catalogue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import page_csrf

ROOT = Path(__file__).resolve().parents[2]


def test_the_login_page_follows_the_browser_language(client):
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    en = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "扫描工牌" in zh and 'lang="zh-CN"' in zh
    assert "Scan your badge" in en and 'lang="en"' in en


def test_a_visitor_can_switch_the_login_page_language(client):
    response = client.get("/lang/zh?next=/login")
    assert response.status_code == 302
    assert "密码登录" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_the_user_setting_wins_over_the_browser(login_as):
    client = login_as("admin")
    client.post("/settings/language", data={"locale": "zh", "csrf_token": page_csrf(client)})
    page = client.get("/admin/users", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "新建用户" in page and "管理员" in page
    client.post("/settings/language", data={"locale": "en", "csrf_token": page_csrf(client)})
    assert "New user" in client.get("/admin/users", headers={"Accept-Language": "zh"}).get_data(as_text=True)


def test_every_screen_string_has_a_chinese_translation(tmp_path):
    # given the strings the code and templates use today
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue if m.id and m.string
                  and not m.fuzzy}
    # then every one of them has a Chinese translation
    missing = sorted(wanted - translated)
    assert not missing, f"untranslated (run `make i18n` and fill translations/zh): {missing}"
