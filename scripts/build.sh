#!/usr/bin/env bash
# Configures (once) and builds one CMake preset: release, debug or asan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:-release}
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "${JOBS:-$(nproc)}"
