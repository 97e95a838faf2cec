#!/usr/bin/env bash
# `make test`: build release and asan, start the local stack, run the whole CTest suite on both.
# `scripts/test.sh container` (`make test-container`): the container image test alone (CTest label
# `container`, which `make test` leaves out: it needs podman and builds the image).
# A test that is skipped or does not run fails the run like a failed one (tests/skip_is_failure.cpp
# already turns gtest skips into failures; the check here also catches what CTest itself left out).
# Each run's log is kept in build/<preset>-ctest.log. The last line printed is CTest's summary of
# the last run with the number of tests that did not run appended, e.g.
#   asan: 100% tests passed, 0 tests failed out of 441, 0 skipped
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true

suite=${1:-all}
scripts/build.sh release
[ "$suite" = container ] || scripts/build.sh asan

scripts/stack.sh start >/dev/null
# shellcheck disable=SC1091
. .local/stack.env

jobs=${TEST_JOBS:-2}

# run_suite PRESET: the whole suite of PRESET into build/PRESET-ctest.log, then its summary line.
# Fails (printing the log first) when a test failed, was skipped or did not run.
run_suite() {
    local preset=$1 label=$2 log="build/$1-ctest.log" status=0 summary skipped
    local -a select=(-LE container)
    if [ "$label" = container ]; then
        select=(-L container)
        log="build/container-ctest.log"
    fi
    ctest --preset "$preset" "${select[@]}" -j "$jobs" --timeout 300 >"$log" 2>&1 || status=$?
    summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
    # CTest lists skipped, disabled and not-run tests, one per tab-indented line, under this heading.
    skipped=$(awk '/^The following tests did not run:/ { listed = 1; next }
                   listed && /^\t/ { n++; next }
                   { listed = 0 }
                   END { print n + 0 }' "$log")
    if [ "$status" -ne 0 ] || [ "$skipped" -ne 0 ] || [ -z "$summary" ]; then
        cat "$log"
        echo "$label: ${summary:-no CTest summary, see $log}, $skipped skipped"
        return 1
    fi
    [ "$label" = container ] && grep '^\[container' "$log" | tail -n 3
    echo "$label: $summary, $skipped skipped"
}

if [ "$suite" = container ]; then
    run_suite release container
else
    run_suite release release
    run_suite asan asan
fi
