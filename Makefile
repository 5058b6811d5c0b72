# popliteal: `make run` and `make test` are the whole quick start (see README.md).
SHELL := /bin/bash
# Evaluated at each use, so a Python installed by system-deps is found afterwards.
PYTHON = $(shell command -v python3.11 || command -v python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test` (the suite is sized for two cores).
TEST_WORKERS ?= 2

.PHONY: run test pytest lint typecheck validate bench bench-deps system-deps browser-deps pdf-deps pdf-test-deps pg-client-deps clean

# Debian ships venv/ensurepip apart from Python; install what is missing, and only then.
system-deps:
	@if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
		echo "installing python3 and python3-venv from apt"; \
		apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip; \
	fi

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium from apt"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core; \
	fi

# The handout PDF (WeasyPrint) needs Pango and a font; its tests read PDFs with poppler-utils.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
PDF_TEST_PACKAGES := poppler-utils
apt_missing = $$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || printf '%s ' $$p; done)

pdf-deps:
	@missing="$(call apt_missing,$(PDF_PACKAGES))"; \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing from apt"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

pdf-test-deps:
	@missing="$(call apt_missing,$(PDF_TEST_PACKAGES))"; \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing from apt"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# `popliteal backup`/`restore` on PostgreSQL run pg_dump/pg_restore; the backup test uses them
# when the test server answers.
pg-client-deps:
	@command -v pg_dump >/dev/null || { echo "installing postgresql-client from apt"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client; }

# uv installs the pinned set in about a third of pip's time; it compiles every module up front,
# so no process (a test's server, a CLI run) compiles them again.
UV_VERSION := 0.13.10

$(STAMP): pyproject.toml constraints.txt | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode \
		-c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP) pdf-deps
	$(BIN)/popliteal db upgrade
	$(BIN)/popliteal demo load
	@# The e-mail sender beside the server: without POPLITEAL_SMTP_URL it writes var/outbox/*.eml.
	$(BIN)/popliteal notify run --interval 10 & sender=$$!; \
	trap 'kill $$sender 2>/dev/null' EXIT; \
	$(BIN)/popliteal serve --no-migrate

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The type check (about 25 s on a fresh clone) and lint run beside pytest rather than before
# it; any of the three failing fails `make test`.
test: $(STAMP) browser-deps pdf-deps pdf-test-deps pg-client-deps
	$(MAKE) --no-print-directory -j 3 lint typecheck pytest

# Work stealing keeps both workers busy to the end (a few tests take 15 s or more); the 15
# slowest tests are printed after every run (pyproject addopts) so growth is seen.
# Byte-code is written even where PYTHONDONTWRITEBYTECODE is set: the workers, and the real
# servers and commands some tests start, then load the package compiled instead of compiling it.
pytest: $(STAMP) browser-deps pdf-deps pdf-test-deps pg-client-deps
	$(BIN)/python -m compileall -q src
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# The engine on the validation set (validation/PROTOCOL.md): published cases by frozen half,
# textbook cases and their sparse variants; each measure with a Wilson 95% interval.
validate: $(STAMP)
	$(BIN)/popliteal validate

# wrk loads the HTTP endpoints in `make bench`.
bench-deps:
	@command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }

bench: $(STAMP) bench-deps pdf-deps
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
