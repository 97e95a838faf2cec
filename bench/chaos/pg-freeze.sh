#!/usr/bin/env bash
# Postgres frozen (SIGSTOP on the server and every backend) for longer than the statement
# timeout, under load: once the pool knows it is unresponsive (the /ready ping gets no answer in
# 1 s), requests fail fast with 503 DATABASE_UNAVAILABLE (decisions E.6) instead of each waiting
# out the statement timeout, and a probe query brings the service back as soon as Postgres
# answers. Prints one table row.
. "$(dirname "$0")/lib.sh"
frozen=${CHAOS_PG_FROZEN_SECONDS:-8}
print_header
pg_start_private
app_start DATABASE_URL="$(pg_url)" DATABASE_STATEMENT_TIMEOUT_MS=5000
probe_run "$app_port"
load_run "$app_port" $((frozen + 10))
sleep 4
fault_start=$(now_ms)
pg_freeze
sleep "$frozen"
pg_cont
fault_end=$(now_ms)
load_wait
probe_stop
figures "Postgres frozen past the 5 s statement timeout" "SIGSTOP" "$fault_start" "$fault_end"
