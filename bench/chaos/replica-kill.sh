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
replica_env_file "$scratch/replica.env"
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
