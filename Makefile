PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= var
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run index test bench clean

$(BIN)/ketluan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	touch $@

install: $(BIN)/ketluan

index: install
	$(BIN)/ketluan index corpus --data $(DATA) --quiet

# The web site (issue #6) is not built yet: until then `make run` indexes and searches.
run: index
	$(BIN)/ketluan stats --data $(DATA)
	$(BIN)/ketluan search "giai phong mat bang" --data $(DATA) --limit 3

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/parse_speed.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
