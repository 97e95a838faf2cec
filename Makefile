# Front door. `make run` and `make test` work on a fresh Debian 12 machine as root: they install
# what is missing, build, start a private Postgres + Redis + SMTP sink under .local/ (unless
# DATABASE_URL is given) and then serve or test.
SHELL := /bin/bash
.DEFAULT_GOAL := build
JOBS ?= $(shell nproc)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps build build-asan build-debug run test test-release test-asan bench format lint tidy stack stop clean \
	image test-container fuzz cluster cluster-down chaos

deps:
	@scripts/install-deps.sh

build: deps
	@scripts/build.sh release

build-asan: deps
	@scripts/build.sh asan

build-debug: deps
	@scripts/build.sh debug

stack: deps
	@scripts/stack.sh start >/dev/null && scripts/stack.sh status

stop:
	@scripts/stack.sh stop

run: build
	@scripts/run.sh

# The whole suite: release build, then the same tests under ASan+UBSan. A skipped test fails it.
# The last line printed is CTest's summary of the last run with its skip count (scripts/test.sh).
test: deps
	@scripts/test.sh

# The container image (podman; see scripts/container.sh), and the test that runs it as shipped
# against the local stack. Their tools are installed only here, not by `make test`.
image:
	@scripts/install-deps.sh --container
	@scripts/container.sh image

test-container:
	@scripts/install-deps.sh --container
	@scripts/test.sh container

bench: build
	@bench/run.sh

# Coverage-guided fuzzing (issue #19): every libFuzzer target for FUZZ_SECONDS (default 60), on a
# copy of its corpus in build/fuzz/; findings land in build/fuzz/findings/<target>/. The committed
# corpora are replayed as ordinary tests by `make test` (CTest label `fuzz`). See fuzz/run.sh.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh
# Three replicas of the release build behind HAProxy (TCP mode) on the local stack; see
# scripts/cluster.sh for its knobs (CLUSTER_MODE=http, CLUSTER_REPLICAS, ...) and `roll`/`status`.
cluster: build stack
	@scripts/cluster.sh up

cluster-down:
	@scripts/cluster.sh down

# Every fault of issue #17 under load (Postgres stopped and frozen, Redis killed and frozen in each
# failure mode, SMTP outage, a replica SIGKILLed, rolling restarts): one table of figures, also in
# bench/results/chaos.md. Builds the release binary and the load client first.
chaos: deps
	@scripts/build.sh release
	@bench/chaos/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

# The formatting check CI runs: every tracked C++ file as .clang-format wants it.
lint:
	@scripts/install-deps.sh
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@echo "lint: clang-format clean"

tidy: build
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p build/release --quiet

clean:
	rm -rf build
