# The two commands of the README. Both build .venv from the hash-pinned lock first.
#   make demo   set up, then run the demo scan of the simulated tenants
#   make test   set up, then run every check: ruff check, ruff format --check, import contracts,
#               mypy --strict, pytest
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.credaudit-installed

.PHONY: demo test lint typecheck pytest lock clean

$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "credaudit needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	@# pip itself first, from the lock (hash-checked): the pip a venv starts with may be too old to
	@# install the lock (pip 23.2 refuses a hash-pinned dependency requested with an extra)
	sed -n '/^pip==/,/^    # via/p' requirements/lock.txt | grep -v '# via' > $(VENV)/pip-pin.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/pip-pin.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/credaudit demo --remediation

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

# Re-pin every dependency (with hashes) after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
		-o requirements/lock.txt pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache credaudit-demo
