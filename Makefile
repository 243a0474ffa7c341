# gankit: two commands for a fresh machine.
#   make demo   create .venv, install gankit, train the default (circle) GAN
#   make test   install dev dependencies (+ Fashion-MNIST via apt when possible) and run the tests
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test install install-dev data clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins torch to the CPU wheel; pyproject.toml only asks for a range.
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Real images for the tests: Debian's dataset-fashion-mnist, when apt is here and we are root.
data:
	@if [ -d /usr/share/datasets/fashion-mnist ]; then true; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
		|| echo "note: could not install dataset-fashion-mnist; tests that need it will skip"; \
	else echo "note: no apt or not root; tests that need Fashion-MNIST will skip"; fi

demo: install
	$(VENV)/bin/gankit train

test: install-dev data
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
