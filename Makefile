# Bazaar: `make run` serves the API, `make test` runs the suite. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 3
# Threads per worker (gunicorn's gthread worker): a long streamed export (GET /api/orders/export/)
# keeps its worker alive, where a sync worker is killed after --timeout however busy it is.
THREADS ?= 4
# Extra pytest arguments, e.g. PYTEST_ARGS=--junitxml=report.xml (CI's totals come from those).
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
# The Persian catalogue, compiled from its committed .po by Babel (bazaar/i18n.py); never committed.
PO := bazaar/locale/fa/LC_MESSAGES/django.po
MO := $(PO:.po=.mo)

.PHONY: install run worker serve test test-postgres lint format e2e bench bench-smoke bench-scaling bench-export \
	fuzz lock clean messages

install: $(STAMP) $(MO)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(MO): $(PO) $(STAMP)
	$(BIN)/python manage.py compile_translations

# New translatable strings into the .po (then translate its empty msgstr entries; `make test`
# fails while any is left).
messages: install
	$(BIN)/python manage.py update_messages
	$(BIN)/python manage.py compile_translations

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py seed_demo --once
	@echo ""
	@echo "API token for user 'admin' (send it as 'Authorization: Token <token>'):"
	@$(BIN)/python manage.py create_token admin
	@echo ""
	@echo "Serving on http://127.0.0.1:$(PORT)/  (API docs: /api/docs/, admin: /admin/, login admin/admin)"
	@echo "with a background worker beside it (python manage.py run_worker)"
	@# The worker stops with the server: on Ctrl-C both get the signal, on any other exit the trap.
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn bazaar.wsgi:application --bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
		--threads $(THREADS) --access-logfile - --timeout 60

worker: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py run_worker

test: install
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bazaar} $(BIN)/python -m pytest -m "not e2e" --create-db

e2e: install
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "e2e needs Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2; exit 1; }
	$(BIN)/python -m pytest -m e2e bazaar/demo -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	BENCH_KEEP_DB=$${BENCH_KEEP_DB:-1} $(BIN)/python bench/run.py

bench-smoke: install
	BENCH_SIZES=200 BENCH_DURATION=2 BENCH_REQUESTS=20 BENCH_OUT=bench/results/smoke.md $(BIN)/python bench/run.py

# Requests/s of the mix with 1, 2, 4 workers, with and without a replica (docs/scaling.md).
bench-export: install
	$(BIN)/python bench/export.py

bench-scaling: install
	$(BIN)/python bench/scaling.py

fuzz: install
	bash tools/fuzz.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:
	rm -rf /tmp/bazaar-lock && $(PYTHON) -m venv /tmp/bazaar-lock
	/tmp/bazaar-lock/bin/pip install --quiet -r requirements.in
	/tmp/bazaar-lock/bin/pip freeze --exclude-editable > requirements.txt

clean:
	rm -rf $(VENV) data
