# cdp-needs-assessment: two commands do everything.
#   make demo   set up the environment if needed, generate the demo data, build the demo reports
#   make test   set up the environment if needed, run the whole test suite
# With a virtualenv or conda env active, that environment is used; otherwise .venv is created
# with the machine's python3.

SHELL := /bin/bash
ifneq ($(strip $(VIRTUAL_ENV)$(CONDA_PREFIX)),)
  PY := python
  STAMP := .stamp-install-active
else
  PY := .venv/bin/python
  STAMP := .venv/.stamp-install
endif
PYTHON3 ?= python3

.PHONY: help install demo test test-fast lab reports clean distclean bench a11y a11y-deps pdf-deps

help:
	@echo "make demo   - set up, generate the synthetic demo data, build the demo reports"
	@echo "make test   - set up, lint (ruff), type-check the core (mypy), run the whole test suite"
	@echo "make lab    - open JupyterLab on the notebooks with the project's kernel"
	@echo "make bench  - run the benchmarks (slow; prints figures)"
	@echo "make a11y   - axe-core WCAG 2.2 AA check of reports/ in headless Chromium"
	@echo "make clean  - delete data/processed and reports (safe: both are rebuilt)"

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ "$(PY)" = ".venv/bin/python" ] && [ ! -x .venv/bin/python ]; then $(PYTHON3) -m venv .venv; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

demo: install
	$(PY) -m cdp_analysis.cli demo

test: install a11y-deps pdf-deps
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadgroup tests --doctest-modules src/cdp_analysis src/cdp_demo
	$(PY) -m cdp_analysis.cli demo --data-only
	$(PY) -m pytest --nbval-lax --nbval-current-env notebooks/

test-fast: install
	$(PY) -m pytest -n 2 -m "not slow" tests

lab: install
	$(PY) -m cdp_analysis.cli demo --data-only
	$(PY) -m ipykernel install --sys-prefix --name cdp-analysis --display-name "Python (cdp-analysis)"
	$(PY) -m jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: install
	$(PY) benchmarks/bench_prepare.py --small
	$(PY) benchmarks/bench_data.py

clean:
	rm -rf data/processed/* reports/*
	git checkout -- data/processed/README.md reports/README.md 2>/dev/null || true

distclean: clean
	rm -rf .venv data/raw/demo

# Accessibility: axe-core (WCAG 2.2 AA rules) on every published page in headless Chromium.
# `make test` runs it on a freshly built demo area (tests/test_a11y.py); a11y-deps installs what it
# needs when missing, as CI does on a fresh machine: Debian's chromium and nodejs/npm (as root),
# then the npm packages. Not root and missing: a warning here, and the test skips (fails under CI=true).
CHROMIUM ?= $(or $(shell command -v chromium 2>/dev/null),/usr/bin/chromium)
a11y-deps:
	@missing=""; command -v node >/dev/null || missing="nodejs"; command -v npm >/dev/null || missing="$$missing npm"; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "a11y-deps: installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "a11y-deps: missing $$missing (as root: apt-get install -y $$missing); the accessibility test cannot run" >&2; fi; \
	fi
	@if command -v npm >/dev/null && [ ! -d tools/a11y/node_modules ]; then \
	  cd tools/a11y && npm install --silent --no-audit --no-fund; fi

# The PDF board pack (WeasyPrint) needs Pango and its fonts; tests read PDFs back with poppler's
# pdfinfo/pdftotext. Installed when missing, as a11y-deps does (as root, with apt).
pdf-deps:
	@missing=""; /sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation"; \
	command -v pdfinfo >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "pdf-deps: installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "pdf-deps: missing $$missing (as root: apt-get install -y $$missing); the PDF tests cannot run" >&2; fi; \
	fi

a11y: a11y-deps
	node tools/a11y/axe.js $$(find $(CURDIR)/reports -name '*.html' | sort)
