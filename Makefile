# Kassa — `make` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help install run test test-fast lint format typecheck imports check bench vendor clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/kassa: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(BIN)/kassa ## create .venv and install Kassa with its test tools

run: install ## start Kassa on SQLite with demo data (http://127.0.0.1:8000/docs)
	$(BIN)/kassa serve

test: install ## the whole suite, SQLite and PostgreSQL
	$(BIN)/pytest

test-fast: install ## unit tests only
	$(BIN)/pytest tests/unit -q

lint: install ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install ## apply ruff formatting and safe fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: install ## mypy --strict on the package
	$(BIN)/mypy src

imports: install ## the layer contracts in pyproject.toml (import-linter)
	$(BIN)/lint-imports

check: lint typecheck imports test ## everything CI cares about

bench: install ## the benchmark (see BENCHMARKS.md)
	$(BIN)/python bench/run.py

HTMX_VERSION ?= 2.0.11
SWAGGER_UI_VERSION ?= 5.35.0
SWAGGER_UI := src/kassa/web/static/swagger-ui
vendor: ## refresh htmx and Swagger UI (/docs) from the npm registry (HTMX_VERSION, SWAGGER_UI_VERSION)
	cd /tmp && rm -rf kassa-vendor && mkdir kassa-vendor && cd kassa-vendor && \
	  npm pack -q htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp /tmp/kassa-vendor/package/dist/htmx.min.js src/kassa/console/static/htmx-$(HTMX_VERSION).min.js
	cp /tmp/kassa-vendor/package/LICENSE src/kassa/console/static/htmx-LICENSE.txt
	cd /tmp && rm -rf kassa-vendor && mkdir kassa-vendor && cd kassa-vendor && \
	  npm pack -q swagger-ui-dist@$(SWAGGER_UI_VERSION) && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz
	rm -rf $(SWAGGER_UI) && mkdir -p $(SWAGGER_UI)
	cd /tmp/kassa-vendor/package && cp swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css favicon-32x32.png \
	  LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js.LICENSE.txt \
	  $(CURDIR)/$(SWAGGER_UI)/
	sed -i '/sourceMappingURL=/d' $(SWAGGER_UI)/swagger-ui-bundle.js \
	  $(SWAGGER_UI)/swagger-ui-standalone-preset.js $(SWAGGER_UI)/swagger-ui.css
	echo $(SWAGGER_UI_VERSION) > $(SWAGGER_UI)/VERSION

clean: ## remove caches and the local SQLite database
	rm -rf .pytest_cache .mypy_cache .ruff_cache kassa.db kassa.db-*
