# Madang: `make demo` serves the demo site, `make test` runs the suite. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The production server set-up (README, "Production"); bench/http_bench.py uses the same.
WEB_WORKERS ?= 3
# Websocket workers when Redis is set (`make serve`), their port, and the largest frame read.
WS_WORKERS  ?= 2
WS_PORT     ?= 8001
WS_MAX_SIZE ?= 65536
# permessage-deflate on websockets: off. Live frames are a few hundred bytes, and compression
# costs a zlib context per connection (~150 KiB: 700 MB for 5,000 viewers) and CPU per frame and
# viewer (bench/README.md, "Live"). Browsers then simply send uncompressed.
WS_DEFLATE  ?= false
# Test processes (pytest-xdist): one per core by default; 0 runs the suite in this process.
TEST_PROCESSES ?= auto

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

# Without MADANG_REDIS_URL one uvicorn process serves pages and websockets: the in-memory
# channel layer reaches only its own process. With Redis, gunicorn's sync workers serve pages
# (faster for Django than an ASGI server) and uvicorn workers serve /ws/ on WS_PORT; put a proxy
# in front that sends /ws/ there, or set MADANG_WEBSOCKET_URL (README, "Serving").
serve: $(STAMP)
ifeq ($(strip $(MADANG_REDIS_URL)),)
	$(BIN)/uvicorn madang.config.asgi:application --host $(HOST) --port $(PORT) \
		--ws-max-size $(WS_MAX_SIZE) --ws-per-message-deflate $(WS_DEFLATE) --no-access-log \
		--log-level warning
else
	@trap 'kill 0' INT TERM EXIT; \
	MADANG_WEBSOCKET_URL="$${MADANG_WEBSOCKET_URL:-ws://$(HOST):$(WS_PORT)/ws/}" \
	$(BIN)/gunicorn madang.config.wsgi --bind $(HOST):$(PORT) --worker-class sync \
		--workers $(WEB_WORKERS) --access-logfile - --log-level warning & \
	$(BIN)/uvicorn madang.config.asgi:application --host $(HOST) --port $(WS_PORT) \
		--workers $(WS_WORKERS) --ws-max-size $(WS_MAX_SIZE) \
		--ws-per-message-deflate $(WS_DEFLATE) --no-access-log --log-level warning & \
	wait
endif

test: $(STAMP)
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

e2e: $(STAMP)
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile -m e2e

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
