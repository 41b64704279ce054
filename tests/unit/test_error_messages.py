"""Every error code the code base can raise has a refusal in English and Simplified Chinese.

The codes are found by reading the source (``ast``), not by listing them by hand: the class-level
``code = "..."`` of every DomainError subclass, every ``code="..."`` passed to one of them, the API's
HTTP codes and the access guard's ``json_error`` codes. ``describe()`` is then rendered in both
languages in a request context.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale

from erp_core.errors import DomainError, ValidationFailed
from erp_core.messages import MESSAGES, describe, describe_code, placeholders, templates_of

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "translations/zh/LC_MESSAGES/messages.po"
SOURCE_DIRS = ("erp_core", "wms")

# Raise sites whose code is computed; each is listed with the codes it can produce, so a new one
# makes the enumeration fail until it is looked at.
DYNAMIC_CODE_SITES = {
    # _check_code(code, what): what is "code" (the default) or "barcode"
    ("wms/locations/services.py", "f'bad_{what}'"): {"bad_code", "bad_barcode"},
    # a FeedError from check_feed_url re-raised as ValidationFailed: a FeedError code, found below
    ("erp_core/channels/pull.py", "error.code"): set(),
    # net_guard's refusal re-raised as a FeedError (check_feed_url), and a FeedError of a shop's
    # address re-raised as ValidationFailed when the shop is saved
    ("erp_core/channels/adapters/base.py", "error.code"): {"url_not_allowed"},
    ("erp_core/channels/shops.py", "error.code"): set(),
    # compare_and_set(..., code=code): the code its callers pass (found at the calls, STATE_CHANGERS)
    ("erp_core/statemachine.py", "code"): {"status_conflict", "order_status_conflict"},
    # fileimport.uploads.refusal: an upload refused whole, import_<the limit it broke> (raised only there)
    ("erp_core/fileimport/uploads.py", "f'import_{problem.code}'"): {"import_too_many_rows", "import_file_too_large",
                                                                     "import_zip_bomb", "import_cell_too_long"},
    # required_bin(..., code=code): the "no such bin here" code its callers pass (found at the calls)
    ("erp_core/inventory/services.py", "code"): {"no_staging_bin", "no_damaged_bin", "no_returns_bin"},
}
RAISED_ONLY_AT_THEIR_SITE = DYNAMIC_CODE_SITES[("erp_core/fileimport/uploads.py", "f'import_{problem.code}'")]
# Functions that refuse with the code= they are given (a state change, a missing bin), and their
# default code.
STATE_CHANGERS = {"compare_and_set": "status_conflict", "transition": "order_status_conflict",
                  "required_bin": "no_staging_bin"}
_SPEC = re.compile(r"%\((\w+)\)([sdifr])")


@dataclass
class Enumeration:
    codes: dict[str, list[str]] = field(default_factory=dict)  # code -> where it is raised or declared
    # code -> for each raise site, the details it passes (keyword names, plus the class's own)
    sites: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    dynamic: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, expression) -> where

    def add(self, code: str, where: str) -> None:
        self.codes.setdefault(code, []).append(where)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _trees() -> dict[str, ast.Module]:
    return {str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"), str(path))
            for folder in SOURCE_DIRS for path in sorted((ROOT / folder).rglob("*.py"))}


def _domain_error_classes(trees: dict[str, ast.Module]) -> dict[str, ast.ClassDef]:
    """Every class deriving (directly or not) from DomainError, by name."""
    classes: dict[str, list[ast.ClassDef]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(node)
    found = {"DomainError": classes["DomainError"][0]}
    grown = True
    while grown:
        grown = False
        for name, defs in classes.items():
            for node in defs:
                if name not in found and any(_name(base) in found for base in node.bases):
                    found[name] = node
                    grown = True
    return found


def _class_attribute(node: ast.ClassDef, attribute: str) -> str | None:
    for statement in node.body:
        if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == attribute for t in statement.targets)):
            return statement.value.value
    return None


def _own_details(node: ast.ClassDef) -> frozenset[str]:
    """Details a class's __init__ always passes on: super().__init__(..., name=<required parameter>)."""
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
            arguments = statement.args
            positional = arguments.args[1:]
            required = {a.arg for a in positional[:len(positional) - len(arguments.defaults)]}
            required |= {a.arg for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is None}
            return frozenset(kw.arg for call in ast.walk(statement) if isinstance(call, ast.Call)
                             and _name(call.func) == "__init__" for kw in call.keywords
                             if kw.arg and isinstance(kw.value, ast.Name) and kw.value.id in required)
    return frozenset()


def enumerate_codes() -> Enumeration:
    trees = _trees()
    classes = _domain_error_classes(trees)
    found = Enumeration()
    by_class: dict[str, str] = {}  # class -> its code, inherited
    for name, node in classes.items():
        code = _class_attribute(node, "code")
        if code is not None:
            found.add(code, f"class {name}")

    def class_code(name: str) -> str:
        if name not in by_class:
            node = classes[name]
            own = _class_attribute(node, "code")
            parents = [_name(b) for b in node.bases if _name(b) in classes]
            by_class[name] = own if own is not None else (class_code(parents[0]) if parents else "domain_error")
        return by_class[name]

    def own_details(name: str) -> frozenset[str]:
        node = classes[name]
        inherited = [own_details(_name(b)) for b in node.bases if _name(b) in classes]
        return _own_details(node).union(*inherited)

    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee, args = _name(node.func), node.args
            if callee == "json_error" and len(args) >= 2 and isinstance(args[1], ast.Constant):
                found.add(args[1].value, f"{path}:{node.lineno} json_error")
            if callee == "describe_code" and args and isinstance(args[0], ast.Constant):
                found.add(args[0].value, f"{path}:{node.lineno} describe_code")
            if callee == "get" and _name(getattr(node.func, "value", node.func)) == "_HTTP_CODES" and len(args) == 2:
                found.add(args[1].value, f"{path}:{node.lineno} the HTTP codes' default")
            if callee in STATE_CHANGERS:  # their code= is the refusal of an edge the table lacks
                keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
                code = keywords.get("code")
                found.add(code.value if isinstance(code, ast.Constant) else STATE_CHANGERS[callee],
                          f"{path}:{node.lineno} {callee}")
            if callee == "_check_code":
                what = args[1].value if len(args) > 1 else "code"
                found.add(f"bad_{what}", f"{path}:{node.lineno} _check_code")
            if callee not in classes:
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            where = f"{path}:{node.lineno} {callee}"
            if "code" in keywords and not isinstance(keywords["code"], ast.Constant):
                found.dynamic[(path, ast.unparse(keywords["code"]))] = where
                continue
            code = keywords["code"].value if "code" in keywords else class_code(callee)
            found.add(code, where)
            details = (frozenset(keywords) | own_details(callee)) - {"code", "status"}
            found.sites.setdefault(code, []).append((where, details))
    from erp_core.api import _HTTP_CODES

    for status, code in _HTTP_CODES.items():
        found.add(code, f"erp_core/api/__init__.py _HTTP_CODES[{status}]")
    return found


@pytest.fixture(scope="module")
def enumeration() -> Enumeration:
    found = enumerate_codes()
    for code in RAISED_ONLY_AT_THEIR_SITE:  # computed at one site and nowhere else: declared above
        found.add(code, "erp_core/fileimport/uploads.py refusal")
    return found


@pytest.fixture(scope="module")
def catalogue():
    with PO_FILE.open("rb") as f:
        return read_po(f)


def test_the_enumeration_sees_the_kinds_of_codes_it_is_meant_to_see(enumeration):
    # class codes, code= keywords in erp_core and wms, the HTTP table, the guard and the computed ones
    for code in ("insufficient_stock", "task_not_yours", "pull_in_progress", "invalid_barcode", "wrong_bin",
                 "bin_empty", "asn_not_receivable", "not_auditable", "feed_bad_url", "rate_limited",
                 "unauthenticated", "invalid_token", "csrf_failed", "error", "bad_code", "bad_barcode"):
        assert code in enumeration.codes, code
    assert len(enumeration.codes) > 120


def test_codes_computed_at_run_time_are_all_known(enumeration):
    assert set(enumeration.dynamic) == set(DYNAMIC_CODE_SITES), (
        "a raise site computes its code: list it in DYNAMIC_CODE_SITES with the codes it can produce")
    for codes in DYNAMIC_CODE_SITES.values():
        assert codes <= set(enumeration.codes)


def test_every_code_the_code_base_can_raise_has_a_message(enumeration):
    missing = {code: where[:3] for code, where in enumeration.codes.items() if not templates_of(code)}
    assert not missing, f"add these codes to erp_core/messages.py MESSAGES: {missing}"


def test_every_message_belongs_to_a_code_that_is_raised(enumeration):
    stale = sorted(set(MESSAGES) - set(enumeration.codes))
    assert not stale, f"MESSAGES holds codes nothing raises (a typo?): {stale}"


def test_every_message_has_a_chinese_translation_with_the_same_placeholders(catalogue):
    problems = []
    for code in MESSAGES:
        for template in templates_of(code):
            msgid = str(template)  # outside a request: the English source text
            entry = catalogue.get(msgid)
            if entry is None or not entry.string or entry.fuzzy:
                problems.append(f"{code}: no Chinese text for {msgid!r} (make i18n, then fill translations/zh)")
            elif sorted(_SPEC.findall(msgid)) != sorted(_SPEC.findall(entry.string)):
                problems.append(f"{code}: placeholders differ: {msgid!r} / {entry.string!r}")
    assert not problems, "\n".join(problems)


def test_a_sentence_can_always_be_filled_and_every_variant_can_be_reached(enumeration):
    problems = []
    for code, sites in enumeration.sites.items():
        templates = [str(t) for t in templates_of(code)]
        if not templates:
            continue  # reported by test_every_code_the_code_base_can_raise_has_a_message
        fallback = placeholders(templates[-1])
        for where, details in sites:
            if not fallback <= details:
                problems.append(f"{code}: {where} passes {sorted(details)}, the sentence needs {sorted(fallback)}")
        for template in templates[:-1]:
            if not any(placeholders(template) <= details for _where, details in sites):
                problems.append(f"{code}: no raise site passes what {template!r} needs")
    assert not problems, "\n".join(problems)


# --- describe() in a request, in both languages ------------------------------------------------------


@pytest.fixture(scope="module")
def request_context(tmp_path_factory):
    """A bare Flask app whose catalogue is compiled from the .po as it stands (not a stale .mo)."""
    folder = tmp_path_factory.mktemp("translations")
    (folder / "zh/LC_MESSAGES").mkdir(parents=True)
    with PO_FILE.open("rb") as f, (folder / "zh/LC_MESSAGES/messages.mo").open("wb") as mo:
        write_mo(mo, read_po(f))
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(folder))
    with app.test_request_context("/"):
        yield


def _in(locale: str, error: DomainError) -> str:
    with force_locale(locale):
        return describe(error)


def test_a_wrong_bin_says_which_bin_was_expected(request_context):
    error = DomainError("wrong bin A01-01-1: go to A01-02-1", code="wrong_bin", expected="A01-02-1")
    assert _in("en", error) == "Wrong bin: expected A01-02-1."
    assert _in("zh", error) == "库位错误：应为 A01-02-1。"


def test_a_refusal_with_several_details_fills_them_all(request_context):
    error = ValidationFailed("B-01 has room for 3, not 5", code="no_room", bin="B-01", room=3, quantity=5)
    assert _in("en", error) == "Bin B-01 has room for 3, the task has 5: scan another bin."
    assert _in("zh", error) == "库位 B-01 只能放 3 件，任务有 5 件：请扫描其他库位。"


def test_lists_are_joined_and_statuses_shown_as_their_labels(request_context):
    not_on_asn = ValidationFailed("X is not on ASN R-1", code="not_on_asn", sku="X", reference="R-1",
                                  expected=["CUP-1", "MAT-1"])
    assert _in("en", not_on_asn) == "X is not on ASN R-1. It expects: CUP-1, MAT-1."
    assert _in("zh", not_on_asn) == "X 不在到货通知 R-1 中。该单预计商品：CUP-1, MAT-1。"
    closed = DomainError("ASN R-1 is closed", code="asn_not_receivable", reference="R-1", asn_status="closed")
    assert _in("en", closed) == "ASN R-1 is Closed: nothing more can be received on it."
    assert _in("zh", closed) == "到货通知 R-1 状态为已关闭，不能再收货。"


def test_the_most_specific_sentence_the_details_allow_is_chosen(request_context):
    with_maximum = ValidationFailed("the quantity must be a whole number from 1", code="bad_quantity",
                                    maximum=100_000)
    assert _in("zh", with_maximum) == "数量必须是 1 到 100000 之间的整数。"
    bare = ValidationFailed("quantity must be positive", code="bad_quantity")
    assert _in("en", bare) == "That quantity is not possible here."
    assert _in("zh", bare) == "此处不能使用该数量。"
    empty_expected = DomainError("bin X is not in this count", code="bin_not_in_count", expected="")
    assert _in("zh", empty_expected) == "该库位不在本次盘点中。"


def test_an_unknown_code_or_unfit_details_say_the_errors_own_message(request_context):
    assert _in("zh", DomainError("something new", code="brand_new_code")) == "something new"
    assert _in("zh", ValidationFailed("no room", code="no_room", bin="B-01", room="lots")) == "no room"
    assert describe_code("invalid_token", "fallback") == "The API token is unknown or revoked."
