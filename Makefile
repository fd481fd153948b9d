# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint install demo worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Sets up the embedded SQLite database, loads areas and the demo (idempotent),
# then serves http://127.0.0.1:8000 with one background worker beside it.
run: install
	$(BIN)/songmay migrate --no-input
	$(BIN)/songmay load_areas
	$(BIN)/songmay load_demo
	$(BIN)/songmay collectstatic --no-input -v 0
	$(BIN)/songmay db_worker --interval 1 & \
	  worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	  $(BIN)/songmay runserver 127.0.0.1:8000

# Runs the whole suite on the database named by DATABASE_URL (SQLite if unset).
# The browser tests need Debian's chromium at /usr/bin/chromium.
test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy songmay
	$(BIN)/songmay makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
