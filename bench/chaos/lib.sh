# Shared by the fault scripts of bench/chaos (issue #17): private servers in a scratch folder,
# one Portcullis under a bounded load, a /ready probe, and the figures of the run as a table row.
# Everything started here is stopped by the EXIT trap, whatever happened.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTCULLIS_BIN=${PORTCULLIS_BIN:-$root/build/release/src/portcullis}
LOAD_BIN=${LOAD_BIN:-$root/build/release/tests/integration/scale/portcullis_load}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CHAOS_RESULTS=${CHAOS_RESULTS:-}          # where rows are appended (run.sh sets it)
CHAOS_CONNECTIONS=${CHAOS_CONNECTIONS:-8}
CHAOS_MIX=${CHAOS_MIX:-health=1,read=4,refresh=2,login=1}
HEADER='| fault | mode | fault lasted | requests | while down | /ready red after | /ready green after | serving again after | requests without answer | max latency |
|---|---|---|---|---|---|---|---|---|---|'

for tool in "$PORTCULLIS_BIN" "$LOAD_BIN"; do
    [ -x "$tool" ] || { echo "chaos: $tool missing (scripts/build.sh release)" >&2; exit 1; }
done

scratch=$(mktemp -d /tmp/portcullis-chaos-XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$scratch" 2>/dev/null || true
chmod 755 "$scratch"
pids=()
pg_data=""
results_file=${CHAOS_RESULTS:-$scratch/results.md}

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true  # reaped here, so the shell prints no "Killed" line
    done
    if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
        pg_cont || true
        as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
wait_status() {  # URL STATUS SECONDS
    local deadline=$((SECONDS + $3))
    until [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" || true)" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.05
    done
}

# --- Postgres ---------------------------------------------------------------------------------
pg_port=""
pg_start_private() {
    pg_data="$scratch/pg"
    pg_port=$(free_port)
    echo "chaos-pg-secret" >"$scratch/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$scratch/pwfile"
    as_pg "$PG_BIN/initdb" -D "$pg_data" -U portcullis --pwfile="$scratch/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    pg_start
}
pg_start() {
    as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -l "$scratch/pg.log" -w -t 60 \
        -o "-p $pg_port -k $scratch -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; }
# SIGSTOP / SIGCONT the postmaster and every backend.
pg_signal_all() {
    local master
    master=$(head -n 1 "$pg_data/postmaster.pid")
    kill "-$1" "$master" $(pgrep -P "$master" || true) 2>/dev/null || true
}
pg_freeze() { pg_signal_all STOP; }
pg_cont() { pg_signal_all CONT; }
pg_url() { echo "postgresql://portcullis:chaos-pg-secret@127.0.0.1:$pg_port/postgres"; }

# --- Redis -----------------------------------------------------------------------------------
redis_port=""
redis_pid=""
redis_start() {
    [ -n "$redis_port" ] || redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --requirepass chaos-redis-secret --save "" \
        --appendonly no --dir "$scratch" --logfile "$scratch/redis.log" &
    redis_pid=$!
    pids+=("$redis_pid")
    until redis-cli -p "$redis_port" -a chaos-redis-secret --no-auth-warning PING 2>/dev/null | grep -q PONG; do
        sleep 0.02
    done
}
redis_kill() { kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; }
redis_url() { echo "redis://:chaos-redis-secret@127.0.0.1:$redis_port/0"; }

# --- Portcullis ------------------------------------------------------------------------------
app_port=""
app_pid=""
# The development configuration every chaos server runs with (single servers and replicas):
# limits out of the load's reach, cheap password hashing.
APP_SETTINGS=(
    APP_ENV=development LOG_LEVEL=warn
    JWT_ACCESS_SECRET=chaos-access-secret-0123456789abcdef-0123456789
    JWT_REFRESH_SECRET=chaos-refresh-secret-fedcba9876543210-fedcba98
    RATE_LIMIT_RPM=100000000 RATE_LIMIT_RPM_AUTH=100000000 RATE_LIMIT_RPM_AUTH_REGISTER=100000000
    RATE_LIMIT_RPM_AUTH_PASSWORD_RESET=100000000
    AUTH_ARGON2_MEMORY_KIB=8192 AUTH_ARGON2_ITERATIONS=1
)

# replica_env_file FILE: APP_SETTINGS and the private Postgres and Redis as an env file for
# scripts/cluster.sh (one I/O thread per replica: three share two cores).
replica_env_file() {
    printf '%s\n' "${APP_SETTINGS[@]}" DATABASE_URL="$(pg_url)" RATE_LIMIT_REDIS_URL="$(redis_url)" \
        IO_THREADS=1 >"$1"
}

# app_start KEY=VALUE...: one server with APP_SETTINGS plus the given settings.
app_start() {
    app_port=$(free_port)
    env -i PATH=/usr/bin:/bin "${APP_SETTINGS[@]}" PORT="$app_port" IO_THREADS=2 \
        "$@" "$PORTCULLIS_BIN" serve --migrate >>"$scratch/app.log" 2>&1 &
    app_pid=$!
    pids+=("$app_pid")
    wait_status "http://127.0.0.1:$app_port/ready" 200 30 || {
        echo "chaos: the server did not turn ready" >&2
        tail -n 20 "$scratch/app.log" >&2
        exit 1
    }
}

# --- load and probe --------------------------------------------------------------------------
load_pid=""
load_start=""
probe_pid=""
# load_run PORT SECONDS [extra args]: starts the load in the background.
load_run() {
    local port=$1 seconds=$2
    shift 2
    load_start=$(now_ms)
    "$LOAD_BIN" --port "$port" --duration-ms $((seconds * 1000)) --connections "$CHAOS_CONNECTIONS" \
        --mix "$CHAOS_MIX" --timeout-ms 10000 --timeline-ms 100 --out "$scratch/load.json" "$@" &
    load_pid=$!
    pids+=("$load_pid")
}
load_wait() { wait "$load_pid"; }
probe_run() {
    /usr/bin/python3 "$root/bench/chaos/probe.py" "$1" "$scratch/probe.log" /ready 0.05 &
    probe_pid=$!
    pids+=("$probe_pid")
}
probe_stop() { kill "$probe_pid" 2>/dev/null || true; }

# figures FAULT MODE FAULT_START_MS FAULT_END_MS: one row, printed and appended to the results.
figures() {
    /usr/bin/python3 "$root/bench/chaos/figures.py" "$results_file" "$1" "$2" "$scratch/load.json" \
        "$load_start" "$scratch/probe.log" "$3" "$4"
}
print_header() { [ -n "$CHAOS_RESULTS" ] || echo "$HEADER"; }
