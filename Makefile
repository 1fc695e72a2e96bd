# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint samples bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gaitlens analyze sample_videos/normal.mp4 -o out/normal --force

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gaitlens gaitlens_validation tests bench scripts
	$(BIN)/ruff format --check gaitlens gaitlens_validation tests bench scripts

samples: $(STAMP)
	$(BIN)/gaitlens sample sample_videos

clean:
	rm -rf out .pytest_cache
