# The two commands: `make run` (set up + serve the demo with the scheduled jobs running) and `make test`.
# Every target creates the virtualenv first if needed; it is re-installed only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-quick migrate demo wrk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

# Links printed by load_demo and put in emails point at the port `make run` serves on.
run demo: export SITE_URL ?= http://127.0.0.1:$(PORT)

# load_demo creates the demo program from demo/program.json once; later runs leave it as it is.
demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	bin/run-embedded $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The load generator is Debian's wrk.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

# The benchmark suite (docs/benchmarks.md): API endpoints beside bare baselines, then the batch jobs and admin
# pages at 1,000,000 members (an hour or more on 2 cores); bench-quick is the endpoints' smoke run (< 2 min).
bench: $(STAMP) wrk
	$(BIN)/python -m tests.bench.run

bench-quick: $(STAMP) wrk
	$(BIN)/python -m tests.bench.run --quick

clean:
	rm -rf $(VENV) var staticfiles
