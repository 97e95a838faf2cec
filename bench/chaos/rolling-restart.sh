#!/usr/bin/env bash
# The long variant of the rolling-restart test: three replicas behind HAProxy, each replaced in
# turn (SIGTERM, SHUTDOWN_DELAY_MS, drain, new process, ready, back in rotation) under a steady
# mixed load, in TCP mode (nothing retried) and in HTTP mode (X-Forwarded-For, retries). The fault
# window is the whole roll; "/ready" columns are not meaningful here. Prints one row per mode.
. "$(dirname "$0")/lib.sh"
print_header
pg_start_private
redis_start
cat >"$scratch/replica.env" <<ENV
APP_ENV=development
DATABASE_URL=$(pg_url)
RATE_LIMIT_REDIS_URL=$(redis_url)
JWT_ACCESS_SECRET=chaos-access-secret-0123456789abcdef-0123456789
JWT_REFRESH_SECRET=chaos-refresh-secret-fedcba9876543210-fedcba98
LOG_LEVEL=warn
IO_THREADS=1
RATE_LIMIT_RPM=100000000
RATE_LIMIT_RPM_AUTH=100000000
RATE_LIMIT_RPM_AUTH_REGISTER=100000000
AUTH_ARGON2_MEMORY_KIB=8192
AUTH_ARGON2_ITERATIONS=1
ENV
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
