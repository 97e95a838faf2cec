#!/usr/bin/env bash
# One of three replicas behind HAProxy (TCP mode, scripts/cluster.sh) SIGKILLed under load and
# started again 5 s later: the requests in flight on it are lost (nothing retries in TCP mode),
# HAProxy takes it out of rotation after its failed checks, and it rejoins when ready. The
# "/ready" columns are the killed replica's own. Prints one table row.
. "$(dirname "$0")/lib.sh"
down=${CHAOS_REPLICA_DOWN_SECONDS:-5}
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
export CLUSTER_DIR="$scratch/cluster" CLUSTER_ENV_FILE="$scratch/replica.env" CLUSTER_MODE=tcp
export PORTCULLIS_BIN
cluster_down() { "$root/scripts/cluster.sh" down >/dev/null 2>&1 || true; }
trap 'cluster_down; cleanup' EXIT
"$root/scripts/cluster.sh" up >/dev/null
balancer=$(cat "$CLUSTER_DIR/port")
victim_port=$(cat "$CLUSTER_DIR/replica-2/port")
probe_run "$victim_port"
load_run "$balancer" $((down + 10))
sleep 3
fault_start=$(now_ms)
"$root/scripts/cluster.sh" kill 2
sleep "$down"
"$root/scripts/cluster.sh" start 2 >/dev/null
fault_end=$(now_ms)
load_wait
probe_stop
figures "Replica SIGKILLed (1 of 3, HAProxy TCP)" "restarted after ${down} s" "$fault_start" "$fault_end"
