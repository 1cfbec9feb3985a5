# samterm — the two commands a user needs are `make run` and `make test`.
# Everything else: deps, build, checkpoints, fixtures, bench.

SHELL := /bin/bash
.DEFAULT_GOAL := run

# Debian's libtorch-dev by default; LIBTORCH=/path/to/libtorch builds against another one.
LIBTORCH ?=
export LIBTORCH

MODEL ?= sam2.1_hiera_tiny
IMAGE ?= Resources/samples/astronaut.jpg
SWIFT_FLAGS ?=
RELEASE_BIN := .build/release/samterm

APT_PACKAGES := libtorch-dev libopenblas0-pthread libncursesw5-dev libsixel-dev libpng-dev \
	libjpeg62-turbo-dev pkg-config tmux curl python3-venv
# The reference implementation, for developers regenerating fixtures (make fixtures / make parity).
REFERENCE_VENV ?= /tmp/ref
# pycocotools for the COCO export tests (Tests read it from here).
TEST_VENV := .venv

.PHONY: run test deps build checkpoints fixtures bench clean

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
	@command -v swift >/dev/null || { echo "swift not found: install Swift 6 (https://swift.org/install) and put it on PATH" >&2; exit 1; }
	@# The COCO tests check our files with the real pycocotools, kept in a venv of their own.
	@test -x $(TEST_VENV)/bin/python && $(TEST_VENV)/bin/python -c 'import pycocotools' 2>/dev/null || \
		{ python3 -m venv $(TEST_VENV) && $(TEST_VENV)/bin/pip install -q -r tools/requirements-test.txt; }

build: deps
	swift build -c release --product samterm $(SWIFT_FLAGS)

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
	swift build -c release $(SWIFT_FLAGS)
	swift test -c release $(SWIFT_FLAGS)

fixtures:
	@test -x $(REFERENCE_VENV)/bin/python || { echo "make fixtures needs the reference in $(REFERENCE_VENV): python3 -m venv $(REFERENCE_VENV) && $(REFERENCE_VENV)/bin/pip install torch sam2 segment-anything pycocotools" >&2; exit 1; }
	for script in tools/make_*_fixtures.py; do $(REFERENCE_VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf .build
