# The README's two commands: `make run` and `make test`. Everything else here is what they need.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VENDOR := static/vendor

.PHONY: run test setup vendor browser lint bench backup restore load clean

run: setup
	$(PY) -m crm.launcher run

test: setup browser
	$(PY) -m crm.launcher test

setup: $(STAMP) vendor

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Front-end libraries come from the npm registry at set-up time and are served by the app itself.
vendor: $(VENDOR)/.done

$(VENDOR)/.done: package.json package-lock.json Makefile
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/css/fonts $(VENDOR)/js
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/css/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/js/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/js/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/js/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/css/
	cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff* $(VENDOR)/css/fonts/
	@touch $@

# Browser tests drive Debian's Chromium; a Chinese font keeps Chinese text from rendering as boxes.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wqy"; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
		else \
			echo "Browser tests need Debian's chromium and fonts-wqy-microhei: sudo apt-get install chromium fonts-wqy-microhei"; exit 1; \
		fi; \
	fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) -m crm.launcher manage bench api --scale small --json artifacts/bench-api.json

# Backup and restore (README "Backups"): `make backup`, then `make restore FROM=.data/backups/crm-backup-… DB=crm_restored`.
backup: setup
	$(PY) -m crm.launcher manage backup

restore: setup
	@test -n "$(FROM)" -a -n "$(DB)" || { echo "usage: make restore FROM=<backup folder> DB=<new database name>"; exit 2; }
	$(PY) -m crm.launcher manage restore "$(FROM)" --database "$(DB)" --create

# By hand: Locust (LOAD_USERS, default 200, or several as 25,50,100,200, for LOAD_SECONDS, default 240) against
# gunicorn on the production settings at the configured database, while a campaign to every consenting retailer
# sends (README "Load test"); figures in artifacts/load.json.
load: setup
	$(PY) -m crm.launcher manage load_test

clean:
	-$(PY) -m crm.embedded_db stop
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles
