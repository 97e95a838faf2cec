#!/usr/bin/env bash
# `make chaos` (issue #17): every fault script of this folder under load, one after the other,
# and one table of their figures (also written to bench/results/chaos.md). Single runs on a
# shared 2-core machine: the load average is printed with the table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
results_dir=${RESULTS_DIR:-$root/bench/results}
mkdir -p "$results_dir"
export CHAOS_RESULTS="$results_dir/chaos-rows.md"
: >"$CHAOS_RESULTS"
status=0
for fault in ${CHAOS_FAULTS:-pg-stop pg-freeze redis-kill redis-freeze smtp-outage replica-kill rolling-restart}; do
    echo "chaos: $fault" >&2
    "$root/bench/chaos/$fault.sh" >/dev/null || { echo "chaos: $fault failed" >&2; status=1; }
done
{
    echo "# make chaos ($(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo '| fault | mode | fault lasted | requests | while down | /ready red after | /ready green after | serving again after | requests without answer | max latency |'
    echo '|---|---|---|---|---|---|---|---|---|---|'
    cat "$CHAOS_RESULTS"
} | tee "$results_dir/chaos.md"
rm -f "$CHAOS_RESULTS"
exit $status
