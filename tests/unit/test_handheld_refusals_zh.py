"""Every refusal the handheld can show reads in Chinese: each code raised in wms/ (the handheld's
services and screens) renders through describe() in zh-CN with Chinese text, different from the
English, and no English words left (acronyms such as SKU, GS1 or ASN aside).

Builds on test_error_messages' enumeration of raise sites: each site is rendered with the details it
passes, so a sentence chosen by those details is the one checked (not only the code's first one).
"""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from erp_core.errors import DomainError
from erp_core.messages import describe, templates_of
from tests.unit.test_error_messages import enumerate_codes, request_context  # noqa: F401  (a fixture)

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")  # lowercase words: acronyms (SKU, GS1, PDF) are kept as they are
TECHNICAL = {"http", "https", "dpi"}  # units and schemes a Chinese text writes in Latin letters too


def _handheld_sites() -> list[tuple[str, str, frozenset[str]]]:
    found = enumerate_codes()
    sites = [(code, where, details) for code, places in found.sites.items()
             for where, details in places if where.startswith("wms/")]
    declared = {code for code, places in found.codes.items() for where in places
                if where.startswith("wms/") and code not in {s[0] for s in sites}}
    return sites + [(code, "declared in wms/", frozenset()) for code in sorted(declared)]


SITES = _handheld_sites()


def test_the_handheld_raises_the_refusals_the_issue_names():
    codes = {code for code, _where, _details in SITES}
    assert {"wrong_bin", "too_many", "not_a_cart"} <= codes
    assert len(codes) > 40


@pytest.mark.parametrize(("code", "where", "details"), SITES, ids=[f"{c}@{w}" for c, w, _d in SITES])
def test_every_handheld_refusal_renders_in_chinese_with_no_english_left(request_context, code, where,  # noqa: F811
                                                                        details):
    assert templates_of(code), f"{code} ({where}) has no message in erp_core/messages.py"
    error = DomainError("ENGLISH FALLBACK", code=code, **{name: 7 for name in details})
    with force_locale("en"):
        english = describe(error)
    with force_locale("zh"):
        chinese = describe(error)
    assert chinese != "ENGLISH FALLBACK", f"{code} at {where}: the details do not fit its sentence"
    assert CJK.search(chinese), f"{code} at {where}: no Chinese in {chinese!r}"
    assert chinese != english
    left = set(ENGLISH_WORD.findall(chinese)) - TECHNICAL
    assert not left, f"{code} at {where}: English {sorted(left)} left in {chinese!r}"
