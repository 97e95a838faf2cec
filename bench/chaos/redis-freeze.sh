#!/usr/bin/env bash
# Redis frozen (SIGSTOP) for 5 s under load, once per failure mode (decisions A.4): every Redis
# call has its deadline, probes never wait on Redis (decisions E.6), the failure mode answers
# meanwhile, and everything heals at SIGCONT. Prints one table row per mode.
. "$(dirname "$0")/lib.sh"
frozen=${CHAOS_REDIS_FROZEN_SECONDS:-5}
print_header
pg_start_private
for mode in ${CHAOS_REDIS_MODES:-local open closed}; do
    redis_start
    app_start DATABASE_URL="$(pg_url)" RATE_LIMIT_REDIS_URL="$(redis_url)" \
        RATE_LIMIT_REDIS_FAILURE_MODE="$mode"
    probe_run "$app_port"
    load_run "$app_port" $((frozen + 8))
    sleep 3
    fault_start=$(now_ms)
    kill -STOP "$redis_pid"
    sleep "$frozen"
    kill -CONT "$redis_pid"
    fault_end=$(now_ms)
    load_wait
    probe_stop
    figures "Redis frozen" "$mode" "$fault_start" "$fault_end"
    kill -TERM "$app_pid"; wait "$app_pid" 2>/dev/null || true
    redis_kill
done
