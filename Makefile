# Meinungskarte – the two commands are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
CATALOG := portal/translations
VNU_VERSION := 26.9.27
VNU    := $(VENV)/vnu/.installed-$(VNU_VERSION)

.PHONY: run test lint audit format bench translations translation-new clean system-packages vnu

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

# Links, QR codes and redirects point at the address the development server really runs on
# (set KRM_PUBLIC_BASE_URL yourself to override; it wins over instance/config.toml).
run: export KRM_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(BIN)/krm db upgrade
	$(BIN)/krm demo
	@echo
	@echo "  Meinungskarte runs at http://$(HOST):$(PORT)/  (the form: http://$(HOST):$(PORT)/feedback/)"
	@echo "  Admin area: http://$(HOST):$(PORT)/admin/ - sign in as krm (KRM officer), teamleitung"
	@echo "  (team lead) or bericht (reports only), password meinungskarte-demo (demo accounts;"
	@echo "  create real ones with: $(BIN)/krm users add NAME --role krm|team|read)"
	@echo
	$(BIN)/krm run --host $(HOST) --port $(PORT) --debug

# The Debian packages the tests need (.ci/system-packages: installed when we are root with apt,
# otherwise it prints the apt-get line) and the Nu Html Checker; a skipped test fails the run
# unless KRM_ALLOW_SKIPS=1 (docs/development.md).
test: $(VENV)/.installed-test system-packages $(VNU) lint
	$(BIN)/pytest

system-packages:
	@.ci/system-packages

# The Nu Html Checker for tests/test_html_checker.py: the vnu-jar npm package, run by Debian's
# Java. Its install script is skipped: it would download a Java runtime of its own.
vnu: $(VNU)
$(VNU): | system-packages
	@if command -v npm >/dev/null; then \
		npm install --prefix $(VENV)/vnu --ignore-scripts --no-save --no-audit --no-fund \
			--loglevel=error vnu-jar@$(VNU_VERSION) && touch $@; \
	elif [ "$$KRM_ALLOW_SKIPS" != 1 ]; then echo "make test needs npm" >&2; exit 1; fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Security audit (docs/operations.md): bandit over our code, pip-audit over the installed packages.
audit: $(VENV)/.installed-test
	$(BIN)/bandit -c pyproject.toml -q -r portal cards admin
	$(BIN)/python .ci/audit_dependencies.py

# Benchmarks print a table and write docs/performance.md; they are never timed assertions in tests.
# `make bench BENCH_ROWS=100000` for a quick run; `make bench BENCH_PARTS=inbox` for one part.
# The load generator is wrk (Debian package), installed here when missing and we are root.
export BENCH_ROWS ?= 1000000
BENCH_PARTS ?=
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends wrk >/dev/null; } || \
		{ echo "make bench needs wrk: sudo apt-get install wrk" >&2; exit 1; }
	$(BIN)/python -m bench $(BENCH_PARTS)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-extract the German source texts, update every catalogue and compile them.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		--sort-output --omit-header -o $(CATALOG)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOG)/messages.pot -d $(CATALOG) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(CATALOG)

# Start a catalogue for a new language: make translation-new LANG=uk
translation-new: $(VENV)/.installed
	$(BIN)/pybabel init -i $(CATALOG)/messages.pot -d $(CATALOG) -l $(LANG)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
