#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets (the `fuzz` preset, clang) and runs each for
# FUZZ_SECONDS (default 60), FUZZ_JOBS at a time (default 1; the machine has two cores), on a
# scratch copy of its committed corpus with the HTTP and JSON dictionaries. New inputs stay in
# build/fuzz/corpus/<target>; `fuzz/run.sh --merge` adds to fuzz/corpus/<target> those that reach
# code its files do not.
# A crash leaves its input in build/fuzz/findings/<target>/: copy it into fuzz/corpus/<target>/
# so the corpus replay in `make test` keeps it as a regression test. Each target's final libFuzzer
# stats (exec/s, cov, corpus) are printed at the end.
#   fuzz/run.sh [--merge] [target...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
merge=0
if [ "${1:-}" = "--merge" ]; then merge=1; shift; fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(http_request json_body jwt resp trust_proxy config_values dotenv phc mime dsn)
fi

[ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${JOBS:-$(nproc)}"

dictionary() {
    case "$1" in
        http_request) cat fuzz/dict/http.dict fuzz/dict/json.dict ;;
        json_body|jwt) cat fuzz/dict/json.dict ;;
        *) ;;
    esac
}

run_one() {
    local target=$1 work="build/fuzz/corpus/$1" findings="build/fuzz/findings/$1" log="build/fuzz/logs/$1.log"
    mkdir -p "$work" "$findings" "$(dirname "$log")"
    cp -n fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    local dict_args=()
    dictionary "$target" >"build/fuzz/$target.dict"
    [ -s "build/fuzz/$target.dict" ] && dict_args=(-dict="build/fuzz/$target.dict")
    set +e
    build/fuzz/fuzz/fuzz_"$target" "${dict_args[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$work" >"$log" 2>&1
    local status=$?
    set -e
    local execs cov units
    execs=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    units=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
    printf '%-14s exit %-3s exec/s %-8s cov %-6s corpus %s\n' "$target" "$status" "${execs:-?}" \
        "${cov:-?}" "${units:-?}"
    if [ $merge -eq 1 ] && [ $status -eq 0 ]; then
        # Every committed file stays (the crash regressions among them: a minimizing merge could
        # drop one whose edges smaller inputs also reach). Edges, not hit counts
        # (-use_counters=0), decide what is new, which keeps the corpus to tens or hundreds of small
        # files per target and its replay in `make test` short.
        build/fuzz/fuzz/fuzz_"$target" -merge=1 -use_counters=0 -max_len=65536 -rss_limit_mb=2048 \
            fuzz/corpus/"$target" "$work" >/dev/null 2>&1
    fi
    return $status
}

failed=0
running=0
for target in "${targets[@]}"; do
    run_one "$target" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ $running -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
[ $failed -eq 0 ] || { echo "fuzz: findings in build/fuzz/findings/ (logs in build/fuzz/logs/)" >&2; exit 1; }
