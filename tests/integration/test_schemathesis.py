"""The OpenAPI document is accurate: schemathesis generates requests from the app's own document
(valid ones and invalid ones) against the `world` data with an admin token, and every answer is
neither a server error nor different from what the document says (status, content type, headers,
body), and every request the document forbids is refused with a 4xx.

Bounded: a fixed number of examples per operation, derandomized (the same cases every run).
SCHEMATHESIS_EXAMPLES raises the number for a deeper local run.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.hypothesis.builder import (  # noqa: E402
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))


@pytest.fixture
def admin_token(app, users):
    from erp_core.auth.services import create_api_token
    from erp_core.extensions import db

    with app.app_context():
        _record, secret = create_api_token(users["admin"], "schemathesis", users["admin"])
        db.session.remove()
    return secret


def _run_operation(schema, operation, auth, outcome):
    """Schemathesis' three phases on one operation: the document's examples, coverage (each
    boundary: too long, too big, missing, wrong type) and fuzzing, in valid and invalid modes."""

    def run(case):
        outcome["cases"] += 1
        mode = case.meta.generation.mode if case.meta else "?"
        try:
            response = case.call(headers=auth)
            case.validate_response(response, checks=CHECKS, headers=auth)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (collected: the run goes on)
            for failure in getattr(error, "exceptions", None) or [error]:
                title = getattr(failure, "title", None) or type(failure).__name__
                key = f"{operation.method.upper()} {operation.path} [{mode}]: {title}"
                if key not in outcome["failures"]:
                    outcome["failures"][key] = str(error)[:2000]
                outcome["kinds"][title] += 1

    config = HypothesisTestConfig(
        project=schema.config, modes=list(HypothesisTestMode),
        settings=settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck)))
    create_test(operation=operation, test_func=run, config=config)()


def test_schemathesis_finds_no_server_error_and_no_mismatch(app, world, admin_token):
    auth = {"Authorization": f"Bearer {admin_token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=auth)
    outcome = {"cases": 0, "failures": {}, "kinds": Counter()}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        _run_operation(schema, operation, auth, outcome)
    report = "\n\n".join(f"{key}\n{detail}" for key, detail in outcome["failures"].items())
    print(f"schemathesis: {len(operations)} operations, {outcome['cases']} cases, "
          f"{sum(outcome['kinds'].values())} failing cases {dict(outcome['kinds'])}")
    assert not outcome["failures"], f"{len(outcome['failures'])} distinct failures:\n\n{report}"
