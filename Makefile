PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= var
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run index serve test browser bench bench-full clean

$(BIN)/ketluan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	touch $@

install: $(BIN)/ketluan

index: install
	$(BIN)/ketluan index corpus --data $(DATA) --quiet

run: index serve

serve: install
	$(BIN)/ketluan serve --data $(DATA) --host $(HOST) --port $(PORT)

# The browser test drives Debian's Chromium; install it when we can (root + apt),
# otherwise that test is skipped with its reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
	    apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium is not installed: the browser test will be skipped"

test: install browser
	$(BIN)/python -m pytest -q -rs

# 1k and 10k generated notices (about 10 minutes); bench-full adds 100k.
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/parse_speed.py
	$(BIN)/python bench/topic_quality.py
	$(BIN)/python bench/assignment_quality.py
	$(BIN)/python bench/run.py --sizes 1000 10000

bench-full: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py --sizes 1000 10000 100000

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
