PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= var
DIR ?= corpus
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run index search stats reindex serve test browser ocr bench bench-full clean

$(BIN)/ketluan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,serve]'
	touch $@

install: $(BIN)/ketluan

# The common commands without activating the virtualenv:
#   make index DIR=~/scans    make search Q="giai phong mat bang"    make stats
index: install
	$(BIN)/ketluan index $(DIR) --data $(DATA) --quiet

search: install
	$(BIN)/ketluan search --data $(DATA) $(Q)

stats: install
	$(BIN)/ketluan stats --data $(DATA)

reindex: install
	$(BIN)/ketluan reindex --data $(DATA)

run: index serve

index: ocr

serve: install
	$(BIN)/ketluan serve --data $(DATA) --host $(HOST) --port $(PORT)

# The browser test drives Debian's Chromium; install it when we can (root + apt),
# otherwise that test is skipped with its reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
	    apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium is not installed: the browser test will be skipped"

# OCR of scans needs Tesseract with its Vietnamese model, and poppler to render PDF
# pages; installed the same way (without them scans are reported "needs OCR").
ocr:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx vie && \
	   command -v pdftoppm >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q tesseract-ocr tesseract-ocr-vie poppler-utils >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q tesseract-ocr tesseract-ocr-vie poppler-utils >/dev/null 2>&1; }; }; } || \
	  echo "tesseract-ocr-vie is not installed: scans will be reported as needing OCR and the OCR tests skipped"

test: install browser ocr
	$(BIN)/python -m pytest -q -rs

# 1k and 10k generated notices (about 10 minutes); bench-full adds 100k.
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/parse_speed.py
	$(BIN)/python bench/topic_quality.py
	$(BIN)/python bench/assignment_quality.py
	$(BIN)/python bench/reference_quality.py
	$(BIN)/python bench/run.py --sizes 1000 10000

bench-full: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py --sizes 1000 10000 100000

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
