# Every target installs what it needs first, so each works as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TARGET

.PHONY: install crawl demo test lint lock fuzz browser bench compiler

install: $(STAMP) browser

# Chromium renders JavaScript-built pages: Debian's packages (the headless shell renders, the full
# browser draws the HTML report's charts in its test), installed when missing and running as root
# (Playwright's own browser download is never used); otherwise the one command to run is printed.
BROWSERS ?= /usr/bin/chromium-headless-shell /usr/bin/chromium
browser:
	@for browser in $(BROWSERS); do test -x $$browser || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium-headless-shell and chromium to render JavaScript-built pages"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: JavaScript-built pages will not be rendered. Install it with: sudo apt-get install chromium-headless-shell chromium"; \
	  fi; \
	fi

# A C compiler and Python's headers, for the C walk of lexbor's tree: Debian's packages when
# missing and running as root; otherwise the one command to run is printed.
compiler:
	@if ! command -v cc >/dev/null 2>&1 || ! $(PYTHON) -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's gcc and python3-dev to compile the C part of link extraction"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev >/dev/null; \
	  else \
	    echo "A C compiler and Python's headers are needed. Install them with: sudo apt-get install gcc python3-dev" >&2; exit 1; \
	  fi; \
	fi

# The editable install compiles the C walk of lexbor's tree (setup.py): an edit of it rebuilds.
$(STAMP): pyproject.toml requirements.lock setup.py backlink_spider/_layout.pyx backlink_spider/_nesting.pyx
	@$(MAKE) --no-print-directory compiler
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# make crawl TARGET=example.com [ARGS="-a max_pages=500 -O backlinks.jsonl"]
crawl: install
	@test -n "$$TARGET" || { echo 'usage: make crawl TARGET=example.com [ARGS="-a max_pages=500"]' >&2; exit 2; }
	$(BIN)/scrapy crawl backlinks -a "target=$$TARGET" $(ARGS)

demo: install
	$(BIN)/python -m backlink_spider.demo

test: install
	$(BIN)/python -m pytest

# A bounded coverage-guided fuzzing run of link extraction (FUZZ_SECONDS, default 60);
# a crash is written to fuzz/crashes/: add it to fuzz/regressions/.
FUZZ_SECONDS ?= 60
fuzz: install
	mkdir -p fuzz/crashes .fuzz-corpus
	$(BIN)/python -m fuzz.extraction -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/crashes/ .fuzz-corpus fuzz/seeds fuzz/regressions

# Benchmarks against the baselines users compare with (~10 min; ARGS="--smoke" or "--only crawl").
bench: install
	$(BIN)/python -m bench $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/backlinks-lock && $(PYTHON) -m venv /tmp/backlinks-lock
	/tmp/backlinks-lock/bin/pip install --quiet '.[dev]'
	/tmp/backlinks-lock/bin/pip freeze --all --exclude backlink_spider --exclude pip > requirements.lock
	rm -rf build *.egg-info
