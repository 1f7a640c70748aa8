# The README's commands. `make demo` installs and runs a quick swing-up evolution; `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install demo test bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: install
	$(VENV)/bin/wann evolve configs/quick.toml

test: install
	$(VENV)/bin/pytest -q

bench: install
	$(PY) bench/swingup.py --quick
