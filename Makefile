# The README's two commands: `make dev` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint bench install clean browser

# The browser test (tests/e2e/test_browser.py) drives Debian's Chromium.
CHROMIUM ?= /usr/bin/chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/taskstream dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint browser
	$(BIN)/python -m pytest

browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser test needs Debian's package chromium at $(CHROMIUM):" \
	      "run 'sudo apt-get install chromium' (make test installs it when run as root)" >&2; \
	    exit 1; \
	  fi; }

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .taskstream .mypy_cache .pytest_cache .ruff_cache
