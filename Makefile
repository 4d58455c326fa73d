# Madang: `make demo` serves the demo site, `make test` runs the suite. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The production server set-up (README, "Production"); bench/http_bench.py uses the same.
WEB_WORKERS ?= 3

.PHONY: demo serve test e2e bench lint format messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Madang needs Python 3.11 or newer (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/madang migrate --noinput -v0
	$(BIN)/madang collectstatic --noinput -v0
	$(BIN)/madang demo
	@echo "Serving http://$(HOST):$(PORT)/  (Korean: /ko/, English: /en/, back office: /ko/manage/)"
	$(MAKE) --no-print-directory serve

serve: $(STAMP)
	$(BIN)/gunicorn madang.config.wsgi --bind $(HOST):$(PORT) --worker-class sync \
		--workers $(WEB_WORKERS) --access-logfile - --log-level warning

test: $(STAMP)
	$(BIN)/pytest

e2e: $(STAMP)
	$(BIN)/pytest -m e2e

bench: $(STAMP)
	$(BIN)/python bench/http_bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

messages: $(STAMP)
	cd src/madang && ../../$(BIN)/madang makemessages -l ko --ignore 'static/*' && ../../$(BIN)/madang compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
