#!/usr/bin/env bash
# Redis killed (SIGKILL) for 5 s under load, then started again empty, once per failure mode
# (decisions A.4: local, open, closed): what clients see while it is gone, /ready, and the
# recovery without restart. Prints one table row per mode.
. "$(dirname "$0")/lib.sh"
down=${CHAOS_REDIS_DOWN_SECONDS:-5}
print_header
pg_start_private
for mode in ${CHAOS_REDIS_MODES:-local open closed}; do
    redis_start
    app_start DATABASE_URL="$(pg_url)" RATE_LIMIT_REDIS_URL="$(redis_url)" \
        RATE_LIMIT_REDIS_FAILURE_MODE="$mode"
    probe_run "$app_port"
    load_run "$app_port" $((down + 8))
    sleep 3
    fault_start=$(now_ms)
    redis_kill
    sleep "$down"
    redis_start
    fault_end=$(now_ms)
    load_wait
    probe_stop
    figures "Redis killed" "$mode" "$fault_start" "$fault_end"
    kill -TERM "$app_pid"; wait "$app_pid" 2>/dev/null || true
    redis_kill
done
