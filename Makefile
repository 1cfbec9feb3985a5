# samterm — the two commands a user needs are `make run` and `make test`.
# Everything else: deps, build, checkpoints, fixtures, bench.

SHELL := /bin/bash
.DEFAULT_GOAL := run

# Debian's libtorch-dev by default; LIBTORCH=/path/to/libtorch builds against another one (an
# unpacked libtorch zip, or the torch/ folder of a PyPI installation).
LIBTORCH ?=
export LIBTORCH

MODEL ?= sam2.1_hiera_tiny
IMAGE ?= Resources/samples/astronaut.jpg
# A build against another LibTorch keeps its own folder, so the two never mix objects.
BUILD_DIR := $(if $(LIBTORCH),.build-libtorch-$(shell printf %s "$(LIBTORCH)" | cksum | cut -d' ' -f1),.build)
SWIFT_FLAGS ?=
SWIFT_BUILD_FLAGS := --scratch-path $(BUILD_DIR) $(SWIFT_FLAGS)
RELEASE_BIN := $(BUILD_DIR)/release/samterm

# Names that Debian 12 and Ubuntu 22.04 / 24.04 share. LibTorch and OpenBLAS only when no
# LIBTORCH is given (Debian's libtorch-dev is CPU-only; a GPU box brings its own).
APT_PACKAGES := libncurses-dev libsixel-dev libpng-dev libjpeg-dev libsqlite3-dev file pkg-config tmux curl python3-venv
# FFmpeg's libraries: video input (frames read on demand) for tracking.
APT_PACKAGES += libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
# Real terminals for the end-to-end tests: xterm (sixel) and kitty (its graphics protocol) under
# Xvfb, screenshots with xwd, keys with xdotool.
APT_PACKAGES += xterm kitty xvfb x11-apps xdotool fonts-dejavu-core
ifeq ($(LIBTORCH),)
APT_PACKAGES += libtorch-dev libopenblas0-pthread
endif

# `make libtorch-pypi`: PyPI's torch (a CUDA build) in a virtual environment outside the tree.
LIBTORCH_VENV ?= $(HOME)/.cache/samterm/libtorch-pypi
PYPI_TORCH ?= torch
# The reference implementation, for developers regenerating fixtures (make fixtures / make parity).
REFERENCE_VENV ?= /tmp/ref
# The export formats' real readers for the tests (Tests read them from here).
TEST_VENV := .venv

.PHONY: run test deps build checkpoints fixtures bench clean libtorch-pypi test-pypi check-libtorch

check-libtorch:
	@if [ -n "$(LIBTORCH)" ] && [ ! -f "$(LIBTORCH)/include/torch/csrc/api/include/torch/version.h" ]; then \
		echo "LIBTORCH=$(LIBTORCH): no LibTorch there (expected include/torch/... and lib/libtorch.so)" >&2; exit 2; fi

deps: check-libtorch
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
	@command -v swift >/dev/null || { echo "swift not found: install Swift 6 (https://swift.org/install) and put it on PATH" >&2; exit 1; }
	@# The export tests check our files with their real readers (pycocotools, Ultralytics, labelme,
	@# PIL), kept in a venv of their own.
	@test -x $(TEST_VENV)/bin/python && $(TEST_VENV)/bin/python -c 'import pycocotools, PIL, ultralytics, labelme' 2>/dev/null || \
		{ python3 -m venv $(TEST_VENV) && $(TEST_VENV)/bin/pip install -q -r tools/requirements-test.txt; }

build: deps
	swift build -c release --product samterm $(SWIFT_BUILD_FLAGS)

checkpoints: build
	checkpoints/fetch.sh $(MODEL) $(RELEASE_BIN)

run: build
	@if ls checkpoints/*.pt checkpoints/*.pth >/dev/null 2>&1 || [ -n "$$SAMTERM_CHECKPOINT" ]; then :; \
	else checkpoints/fetch.sh $(MODEL) $(RELEASE_BIN) || exit 1; fi
	@ckpt=$${SAMTERM_CHECKPOINT:-$$(ls checkpoints/*.pt checkpoints/*.pth 2>/dev/null | head -n1)}; \
	$(RELEASE_BIN) inspect "$$ckpt" && $(RELEASE_BIN) edit $(IMAGE) --checkpoint "$$ckpt"

bench: build
	$(RELEASE_BIN) bench $(if $(CHECKPOINT),--checkpoint $(CHECKPOINT))

test: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)
	swift test -c release $(SWIFT_BUILD_FLAGS)

# PyPI's torch, for building against today's LibTorch 2.x on any machine (`make test-pypi`).
libtorch-pypi:
	@test -x $(LIBTORCH_VENV)/bin/python || python3 -m venv $(LIBTORCH_VENV)
	@$(LIBTORCH_VENV)/bin/python -c 'import torch' 2>/dev/null || $(LIBTORCH_VENV)/bin/pip install -q $(PYPI_TORCH)
	@echo "LIBTORCH=$$($(LIBTORCH_VENV)/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')"

# The whole suite against PyPI's torch: the one command for the GPU boxes' build.
test-pypi: libtorch-pypi
	$(MAKE) test LIBTORCH=$$($(LIBTORCH_VENV)/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')

fixtures:
	@test -x $(REFERENCE_VENV)/bin/python || { echo "make fixtures needs the reference in $(REFERENCE_VENV): python3 -m venv $(REFERENCE_VENV) && $(REFERENCE_VENV)/bin/pip install torch sam2 segment-anything pycocotools" >&2; exit 1; }
	for script in tools/make_*_fixtures.py; do $(REFERENCE_VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf .build .build-libtorch-*
