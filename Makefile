# make run   : set up everything, create the SQLite database, load the demo data and start the server
# make test  : set up everything and run the whole test suite (SQLite, then PostgreSQL)
PY      := .venv/bin/python
FLASK   := .venv/bin/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000
WMS_SCHEDULER ?= 1

.PHONY: setup system-deps translations i18n db demo run test lint bench bench-quick load vendor clean

setup: system-deps .venv/.installed translations

system-deps:
	bash scripts/system-deps.sh

.venv/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

translations: .venv/.installed
	.venv/bin/pybabel compile -d translations --statistics

i18n: .venv/.installed
	.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	.venv/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

db: setup
	$(FLASK) init-db

demo: db
	$(FLASK) demo-data

run: demo
	@echo ""
	@echo "  Warehouse Floor is starting at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password demo1234): admin, supervisor, picker1, picker2, packer, shipping, purchaser, finance, viewer, supplier1"
	@echo "  Handheld badge login: scan or type BADGE-PCK-0001 (picker1)"
	@echo ""
	@# The job consumer (huey: imports, bulk actions, label sheets, prints, the periodic pulls) runs next to
	@# the server and is stopped with it. WMS_SCHEDULER=0 make run: the server alone (jobs then wait queued).
	@if [ "$(WMS_SCHEDULER)" = "1" ]; then \
	  .venv/bin/huey_consumer wms.worker.huey -w 2 -k thread -q & CONSUMER=$$!; \
	  HOST=$(HOST) PORT=$(PORT) $(PY) wsgi.py & SERVER=$$!; \
	  trap 'kill $$SERVER $$CONSUMER 2>/dev/null; wait $$SERVER $$CONSUMER 2>/dev/null' EXIT INT TERM; \
	  wait $$SERVER; \
	else HOST=$(HOST) PORT=$(PORT) $(PY) wsgi.py; fi

test: setup
	bash scripts/test.sh

lint: .venv/.installed
	.venv/bin/ruff check .

bench: .venv/.installed
	$(PY) -m pip install -q -r requirements-bench.txt
	$(PY) -m bench

bench-quick: .venv/.installed
	$(PY) -m pip install -q -r requirements-bench.txt
	$(PY) -m bench --quick

# The peak-hour load run (bench/load.py): 50 pickers scanning for a minute against two gunicorn processes
# with PostgreSQL and Redis on loopback (`$(PY) -m bench.load --quick`: 10 pickers for 20 s).
load: .venv/.installed
	$(PY) -m pip install -q -r requirements-bench.txt
	$(PY) -m bench.load

vendor:
	bash scripts/vendor.sh

clean:
	rm -rf .venv instance .pytest_cache bench/out
