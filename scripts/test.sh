#!/usr/bin/env bash
# `make test`: build release and asan, start the local stack, run the whole CTest suite on both.
# CTest's summary of the last run is the last line printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true

scripts/build.sh release
scripts/build.sh asan

scripts/stack.sh start >/dev/null
# shellcheck disable=SC1091
. .local/stack.env
export CI="${CI:-}"

jobs=${TEST_JOBS:-2}
ctest --preset release -j "$jobs" --timeout 300 >build/release-ctest.log 2>&1 || {
    cat build/release-ctest.log
    exit 1
}
grep "tests passed" build/release-ctest.log | sed "s/^/release: /"
ctest --preset asan -j "$jobs" --timeout 300
