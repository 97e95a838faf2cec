#!/usr/bin/env bash
# Postgres stopped for 10 s under load (`pg_ctl stop -m fast`, then started again): requests that
# need it answer 503 DATABASE_UNAVAILABLE at once, /health stays 200, /ready turns red and back,
# and the service heals without a restart. Prints one table row.
. "$(dirname "$0")/lib.sh"
down=${CHAOS_PG_DOWN_SECONDS:-10}
print_header
pg_start_private
app_start DATABASE_URL="$(pg_url)"
probe_run "$app_port"
load_run "$app_port" $((down + 10))
sleep 4
fault_start=$(now_ms)
pg_stop
sleep "$down"
pg_start
fault_end=$(now_ms)
load_wait
probe_stop
figures "Postgres stopped" "pg_ctl stop -m fast" "$fault_start" "$fault_end"
