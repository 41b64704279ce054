"""Another warehouse's objects are refused everywhere: a user limited to SH1 (an admin, so no
permission stands in the way) calls every route that takes an object id (in its path, or in its
form as the screens send it) with SZ1's ids: each answers other_warehouse (403; a handheld scan
shows it as its refusal) and nothing changes — ledger, reservations and statuses as they were.

The declared tables below say which kind of object each id names. A route added later with an id
in its path that is in neither table fails `test_every_id_in_a_path_is_declared`."""

from __future__ import annotations

import json
import re

import pytest

from erp_core.auth.object_access import registered_kinds
from tests.access_helpers import ledger_and_statuses, objects_of, two_warehouses
from tests.conftest import login, page_csrf

# path variable -> kind of object; (endpoint, variable) overrides where one name means several kinds.
PATH_KINDS = {
    "warehouse_id": "warehouse", "order_id": "order", "wave_id": "wave", "list_id": "pick_list",
    "asn_id": "asn", "shipment_id": "shipment", "manifest_id": "manifest", "printer_id": "printer",
    "case_id": "aftersales_case", "po_id": "purchase_order", "transfer_id": "stock_transfer",
    "exception_id": "shipping_exception", "bin_id": "location", "face_id": "pick_face",
}
ENDPOINT_KINDS = {
    ("picking.pick_short", "task_id"): "pick_task",
    ("inbound.putaway_task", "task_id"): "putaway_task",
    ("inbound.putaway_confirm", "task_id"): "putaway_task",
    ("inbound.putaway_resuggest", "task_id"): "putaway_task",
    ("floor_tasks.count", "task_id"): "count_task",
    ("floor_tasks.count_scan", "task_id"): "count_task",
    ("floor_tasks.count_finish", "task_id"): "count_task",
    ("floor_tasks.count_report", "task_id"): "count_task",
    ("floor_tasks.approve_count", "task_id"): "count_task",
    ("floor_tasks.cancel_count", "task_id"): "count_task",
    ("floor_tasks.replenish", "task_id"): "replenishment_task",
    ("floor_tasks.replenish_scan", "task_id"): "replenishment_task",
    ("printing.download", "job_id"): "print_job",
    ("printing.reprint", "job_id"): "print_job",
    ("printing.retry", "job_id"): "print_job",
    ("stock.delete_rule", "rule_id"): "reorder_rule",
}
# Ids of objects without a warehouse (exempt): SKUs, lots, customers, suppliers, channels, the books,
# users and tokens, box types, statements, import jobs; carrier rules are shipping settings.
EXEMPT_VARIABLES = {"customer_id", "supplier_id", "contact_id", "lot_id", "box_id", "statement_id", "line_id",
                    "entry_id", "message_id", "token_id", "user_id", "merge_id", "feedback_id", "channel_id",
                    "year", "month", "subscription_id", "delivery_id", "webhook_id"}  # webhooks: global
EXEMPT = {("intake.import_job", "job_id"), ("intake.import_errors", "job_id"), ("intake.import_progress", "job_id"),
          ("carriers.change_rule", "rule_id"), ("carriers_api.CarrierRuleById", "rule_id"),
          # background jobs: shown to whoever holds the job's own permission, not per warehouse
          *{(endpoint, "job_id") for endpoint in ("jobs.show", "jobs.progress", "jobs.retry", "jobs.cancel",
                                                   "jobs.download", "jobs_api.JobById")}}
# Routes that take an object's id in their form (the screens' hidden fields): endpoint -> {field: kind}.
FORM_KINDS = {
    "picking.pick_scan": {"task_id": "pick_task", "code": None},
    "picking.pick_pause": {"list_id": "pick_list"},
    "picking.sort_scan": {"list_id": "pick_list", "step": "item", "code": "BC-A"},
    "picking.preview": {"warehouse_id": "warehouse"},
    "picking.release": {"warehouse_id": "warehouse"},
    "returns_station.open_case": {"order_id": "order"},
    "returns_station.scan": {"case_id": "aftersales_case", "code": "BC-A"},
    "returns_station.inspect": {"case_id": "aftersales_case", "line_id": None, "outcome": "scrap", "qty": "1"},
    "aftersales.create": {"order_id": "order"},
    "floor_tasks.create_count": {"warehouse_id": "warehouse", "mode": "bins"},
    "floor_tasks.add_pick_face": {"warehouse_id": "warehouse"},
    "floor_tasks.plan_now": {"warehouse_id": "warehouse"},
    "manifests.open_new": {"warehouse_id": "warehouse"},
}
REFUSED = {403}


def _variables(rule) -> list[tuple[str, str]]:
    return re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)


def kind_of(endpoint: str, variable: str) -> str | None:
    """The kind of object a path variable names; None when exempt; KeyError when undeclared."""
    if (endpoint, variable) in ENDPOINT_KINDS:
        return ENDPOINT_KINDS[(endpoint, variable)]
    if (endpoint, variable) in EXEMPT or variable in EXEMPT_VARIABLES:
        return None
    if variable in PATH_KINDS:
        return PATH_KINDS[variable]
    raise KeyError(f"{endpoint}: declare what <{variable}> names (PATH_KINDS, ENDPOINT_KINDS or EXEMPT)")


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        ints = [(conv, name) for conv, name in _variables(rule) if conv == "int"]
        if not ints or rule.endpoint == "static":
            continue
        kinds = {name: kind_of(rule.endpoint, name) for _conv, name in ints}
        if any(kinds.values()):
            yield rule, kinds


def test_every_id_in_a_path_is_declared(app):
    # given every route with an int in its path; then each variable's kind is declared and registered
    known = set(registered_kinds())
    for rule in app.url_map.iter_rules():
        for conv, name in _variables(rule):
            if conv == "int":
                kind = kind_of(rule.endpoint, name)
                assert kind is None or kind in known, f"{rule.rule}: {kind} has no warehouse resolver"
    assert set(FORM_KINDS) <= set(app.view_functions), set(FORM_KINDS) - set(app.view_functions)


@pytest.fixture
def sz1(app, users):
    two = two_warehouses(app, users)
    return two, objects_of(app, two, "sz")


def _refused(response) -> bool:
    if response.status_code in REFUSED:
        return True
    trigger = json.loads(response.headers.get("HX-Trigger") or "{}")
    return response.status_code == 200 and "scan-error" in trigger


def test_a_user_limited_to_sh1_is_refused_every_sz1_object_and_nothing_changes(app, sz1):
    two, sz = sz1
    assert set(registered_kinds()) <= set(sz), set(registered_kinds()) - set(sz)  # an SZ1 object of every kind
    client = app.test_client()
    assert login(client, "sh_admin").status_code == 302
    token = page_csrf(client)
    before = ledger_and_statuses(app)
    let_through = []
    for rule, kinds in _id_routes(app):
        values = {name: sz[kind] if kind else 1 for name, kind in kinds.items()}
        path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m, v=values: str(v.get(m.group(2), "x")), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # when they call it with SZ1's ids
            response = client.open(path, method=method, headers={"X-CSRFToken": token, "HX-Request": "true"},
                                   **({} if method == "GET" else {"data": {}}))
            # then it is refused
            if not _refused(response):
                let_through.append(f"{method} {path} -> {response.status_code}")
    for endpoint, fields in FORM_KINDS.items():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        form = {f: sz[k] if k in registered_kinds() else ("1" if k is None else k) for f, k in fields.items()}
        response = client.post(rule.rule, data=form, headers={"X-CSRFToken": token, "HX-Request": "true"})
        if not _refused(response):
            let_through.append(f"POST {rule.rule} {form} -> {response.status_code}")
    assert not let_through, "\n".join(["let through:"] + let_through)
    # and nothing moved or changed state
    assert ledger_and_statuses(app) == before
