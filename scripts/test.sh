#!/usr/bin/env bash
# The whole test suite: on SQLite, then again on PostgreSQL (integration and browser tests).
# Under CI=true a PostgreSQL or Redis that does not answer fails the run instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
status=0
echo "== tests on SQLite"
TEST_DATABASE=sqlite $PY -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "== tests on PostgreSQL"
TEST_DATABASE=postgresql $PY -m pytest -q -p no:cacheprovider tests/integration tests/e2e "$@" || status=$?
echo "== lint"
.venv/bin/ruff check . || status=$?
exit $status
