# tallycheck: `make demo` runs the main job, `make test` runs the tests. Each sets up what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-slow bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tallycheck demo --out demo-out

# The fast suite on both cores (a file's tests stay on one worker), then the browser flow alone: a real server
# and Chromium time out when they share the 2 cores with the rest of the suite.
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser" -n 2 --dist loadfile
	$(BIN)/python -m pytest -q -m "browser and not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/bench_ingest.py --stations 55041 --repeat 3
	$(BIN)/python bench/bench_ingest.py --stations 1000000 --candidates 15 --no-minorities --repeat 2
	$(BIN)/python bench/bench_apportion.py --repeat 7
	$(BIN)/python bench/bench_seats.py --stations 55041 --repeat 5 --naive-seats 3
	$(BIN)/python bench/bench_integers.py --year 2011 --repeat 7
	$(BIN)/python bench/bench_screen.py --year 2011 --repeat 5
	$(BIN)/python bench/bench_mixture.py --year 2011 --repeat 3
	rm -rf bench/out/iraq7-web && $(BIN)/tallycheck generate --shape iraq-2021 --seed 7 --out bench/out/iraq7-web && $(BIN)/tallycheck import bench/out/iraq7-web
	$(BIN)/python bench/bench_web.py bench/out/iraq7-web --repeat 20 --duration 15

clean:
	rm -rf $(VENV) demo-out .pytest_cache .hypothesis
