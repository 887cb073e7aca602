# The whole setup is `make run` (use the platform) and `make test` (prove it works).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test lint code bench clean messages compile

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Web, a Celery worker and beat on the embedded default (SQLite, file-system broker, console
# e-mail), with the programme and demo accounts loaded. Ctrl-C stops all three.
run: export DEBUG ?= 1
# The links in e-mails follow the port (icbt/settings.py: SITE_URL), unless SITE_URL is set.
run: export PORT := $(PORT)
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_programme
	$(MANAGE) seed_demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/ and sign in with one of the accounts above."
	@echo "  Staff accounts ask for a two-factor code: run 'make code' in another terminal."
	@echo ""
	@trap 'kill 0' EXIT; \
	  $(PY) -m celery -A icbt worker --pool=solo --loglevel=info & \
	  $(PY) -m celery -A icbt beat --loglevel=info & \
	  $(MANAGE) runserver 127.0.0.1:$(PORT)

# Current two-factor codes of the demo staff accounts, from the database `make run` uses: give
# both the same VAR_DIR or DATABASE_URL (`make run VAR_DIR=/tmp/icbt`, `make code VAR_DIR=/tmp/icbt`).
code: export DEBUG ?= 1
code: install
	@$(MANAGE) demo_code

test: export DEBUG ?= 1
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy .
	$(VENV)/bin/bandit -c pyproject.toml -r . -q

# Load tests and benchmarks (not part of `make test`): a throwaway PostgreSQL database
# (icbt_bench on 127.0.0.1), gunicorn and locust; writes docs/benchmarks.md. BENCH_ARGS passes
# more options to bench/run.py (`$(PY) -m bench.run --help`).
PARTICIPANTS ?= 2000
THERAPISTS ?= 20
bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench.run --participants $(PARTICIPANTS) --therapists $(THERAPISTS) $(BENCH_ARGS)

clean:
	rm -rf .var staticfiles

# Refresh the Swedish catalogue after changing UI strings, then translate and run `make compile`.
messages: install
	DEBUG=1 $(MANAGE) makemessages -l sv --no-obsolete --no-location --ignore 'tests/*' --ignore 'modules/content/*' --ignore '.venv/*' --ignore 'docs/*'

compile: install
	DEBUG=1 $(MANAGE) compilemessages -l sv --ignore '.venv/*'
