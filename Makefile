# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# MediaPipe 1.x ships no pose model. `model` builds the BlazePose .task bundle offline
# from a package registry file (the legacy mediapipe 0.10.21 wheel carries the detector and
# the full landmark model; any platform's wheel will do, it is only unzipped) into the
# user's cache (gaitlens info shows where). Tests and the demo never download.
MODEL_SRC := .cache/model-sources
LEGACY_WHEEL := $(MODEL_SRC)/mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl

.PHONY: demo test lint samples bench clean model

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

$(LEGACY_WHEEL): | $(STAMP)
	$(BIN)/python -m pip download -q mediapipe==0.10.21 --no-deps --only-binary=:all: \
		--python-version 3.11 --platform manylinux_2_28_x86_64 -d $(MODEL_SRC)

model: $(STAMP) $(LEGACY_WHEEL)
	$(BIN)/gaitlens install-model $(LEGACY_WHEEL)

demo: model
	$(BIN)/gaitlens analyze sample_videos/normal.mp4 -o out/normal --force

test: model
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gaitlens gaitlens_validation tests bench scripts
	$(BIN)/ruff format --check gaitlens gaitlens_validation tests bench scripts

samples: $(STAMP)
	$(BIN)/gaitlens sample sample_videos

clean:
	rm -rf out .pytest_cache
