#!/usr/bin/env bash
# The long variant of the rolling-restart test: three replicas behind HAProxy, each replaced in
# turn (SIGTERM, SHUTDOWN_DELAY_MS, drain, new process, ready, back in rotation) under a steady
# mixed load, in TCP mode (nothing retried) and in HTTP mode (X-Forwarded-For, retries). The fault
# window is the whole roll; "/ready" columns are not meaningful here. Prints one row per mode.
. "$(dirname "$0")/lib.sh"
print_header
pg_start_private
redis_start
replica_env_file "$scratch/replica.env"
export CLUSTER_ENV_FILE="$scratch/replica.env" PORTCULLIS_BIN
trap '"$root/scripts/cluster.sh" down >/dev/null 2>&1 || true; cleanup' EXIT
for mode in tcp http; do
    export CLUSTER_DIR="$scratch/cluster-$mode" CLUSTER_MODE=$mode
    "$root/scripts/cluster.sh" up >/dev/null
    balancer=$(cat "$CLUSTER_DIR/port")
    probe_run "$balancer"
    rounds=${CHAOS_ROLL_ROUNDS:-2}
    load_run "$balancer" $((rounds * 9 + 6)) --connections 16
    sleep 3
    fault_start=$(now_ms)
    for _ in $(seq 1 "$rounds"); do "$root/scripts/cluster.sh" roll >/dev/null; done
    fault_end=$(now_ms)
    load_wait
    probe_stop
    figures "Rolling restart, $rounds rounds of 3 replicas" "HAProxy $mode" "$fault_start" "$fault_end"
    "$root/scripts/cluster.sh" down >/dev/null
done
