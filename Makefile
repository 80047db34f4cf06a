# Two commands for a newcomer on a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := libreoffice-calc-nogui chromium fonts-noto-cjk

.PHONY: demo test install install-notebook install-dev system-deps bench docs clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e .
	touch $@

# the demo installs what the README's data-officer section then runs (jupyter lab, voila, papermill)
$(VENV)/.installed-notebook: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e '.[notebook]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e '.[dev]'
	touch $(VENV)/.installed $(VENV)/.installed-notebook $@

install: $(VENV)/.installed
install-notebook: $(VENV)/.installed-notebook
install-dev: $(VENV)/.installed-dev

# LibreOffice (an independent spreadsheet client for the tests), Chromium and CJK fonts (the browser test).
system-deps:
	@missing=""; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install-notebook
	$(VENV)/bin/baoxue demo

test: install-dev system-deps
	$(VENV)/bin/python -m pytest -q

bench: install-dev
	$(PY) benchmarks/run_all.py

docs: install
	$(PY) -m baoxue.validators.docs

clean:
	rm -rf $(VENV) workbooks/demo build *.egg-info
