#!/usr/bin/env bash
# `make bench`: HTTP throughput of Portcullis next to a private nginx (the HTTP ceiling of this
# machine), both hit by the same wrk command on loopback, then the micro-benchmarks.
# Prints a table and writes it to bench/results/latest.md. See bench/README.md.
#
# Adding a row: write a function row_X that starts a server, calls `measure_row NAME URL PIDS`
# (wrk + RSS) or `wrk_row` + `add_row` for anything custom, and stops the server; then add X to the
# BENCH_ROWS default. A non-HTTP ceiling (pgbench, ...) only needs to call `add_row` with its numbers.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# ---- knobs (see README) ---------------------------------------------------------------------
BENCH_DURATION=${BENCH_DURATION:-10s}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-2s}
BENCH_RUNS=${BENCH_RUNS:-1}                # measured runs per row; the median req/s run is shown
BENCH_LOG_LEVEL=${BENCH_LOG_LEVEL:-silent}
BENCH_IO_THREADS=${BENCH_IO_THREADS:-0}
BENCH_INFO_ROW=${BENCH_INFO_ROW:-1}        # 0 skips the LOG_LEVEL=info row
# Rows to run, in order: each name X is a function row_X below.
BENCH_ROWS=${BENCH_ROWS:-nginx_health portcullis_health portcullis_health_metrics_off portcullis_health_no_limiter portcullis_health_redis_limiter portcullis_health_info_log pgbench_select1 portcullis_ready portcullis_pool_select1 argon2_rate portcullis_login portcullis_health_during_login pgbench_select_only portcullis_protected_user portcullis_protected_user_eddsa pgbench_update_pk portcullis_refresh portcullis_refresh_grace portcullis_invalid_token portcullis_locked_login portcullis_login_audit portcullis_login_timing}
BENCH_NGINX_REUSEPORT=${BENCH_NGINX_REUSEPORT:-1}  # one listening socket per worker, as Portcullis
BENCH_MICRO=${BENCH_MICRO:-1}              # 0 skips the Google Benchmark binary
BENCH_MICRO_MIN_TIME=${BENCH_MICRO_MIN_TIME:-0.2}
BENCH_NGINX_WORKERS=${BENCH_NGINX_WORKERS:-$(nproc)}
PORTCULLIS_BIN=${PORTCULLIS_BIN:-$root/build/release/src/portcullis}
MICROBENCH_BIN=${MICROBENCH_BIN:-$root/build/release/bench/portcullis_microbench}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
RESULTS_DIR=${RESULTS_DIR:-$root/bench/results}
HOST=127.0.0.1
PGBENCH_BIN=${PGBENCH_BIN:-/usr/lib/postgresql/15/bin/pgbench}
PSQL_BIN=${PSQL_BIN:-$(dirname "$PGBENCH_BIN")/psql}
ARGON2_RATE_BIN=${ARGON2_RATE_BIN:-$root/build/release/bench/portcullis_argon2_rate}
POOL_SELECT1_RATE_BIN=${POOL_SELECT1_RATE_BIN:-$root/build/release/bench/portcullis_pool_select1_rate}
# Auth rows (see README): Argon2 parameters of the login rows and of their ceiling (like for like).
BENCH_ARGON2_MEMORY_KIB=${BENCH_ARGON2_MEMORY_KIB:-65536}
BENCH_ARGON2_ITERATIONS=${BENCH_ARGON2_ITERATIONS:-3}
# Argon2 parameters of the /protected and /refresh rows' server: it hashes only while the row sets
# up its users and sessions, never in the measured requests, so the cheapest allowed values.
BENCH_SETUP_ARGON2_MEMORY_KIB=${BENCH_SETUP_ARGON2_MEMORY_KIB:-8192}
BENCH_SETUP_ARGON2_ITERATIONS=${BENCH_SETUP_ARGON2_ITERATIONS:-1}
BENCH_LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-8}       # below the hashing queue (16 per core)
BENCH_BUSY_HEALTH_CONNECTIONS=${BENCH_BUSY_HEALTH_CONNECTIONS:-8}
# Alternating runs per server of the audit on/off login rows (the median of each is shown).
BENCH_AUDIT_RUNS=${BENCH_AUDIT_RUNS:-5}
BENCH_LOGIN_TIMING_SAMPLES=${BENCH_LOGIN_TIMING_SAMPLES:-400}  # failed logins of each kind
BENCH_PGBENCH_DATABASE=${BENCH_PGBENCH_DATABASE:-portcullis_bench_pgbench}
# The database behind /ready and the pgbench ceiling: the local stack unless given.
if [ -z "${BENCH_DATABASE_URL:-}" ]; then
    "$root/scripts/stack.sh" start >/dev/null
    # shellcheck disable=SC1091
    . "$root/.local/stack.env"
    BENCH_DATABASE_URL=$PORTCULLIS_TEST_DATABASE_URL
fi
# The Redis behind the Redis-limiter row: the local stack unless given.
if [ -z "${BENCH_REDIS_URL:-}" ]; then
    "$root/scripts/stack.sh" start >/dev/null
    # shellcheck disable=SC1091
    . "$root/.local/stack.env"
    BENCH_REDIS_URL=$PORTCULLIS_TEST_REDIS_URL
fi

# ---- process bookkeeping: everything started is stopped on exit, error or signal ---------------
workdir=""
portcullis_pid=""
nginx_pid=""
wrk_pid=""
bg_wrk_pid=""   # the login load running under the /health-during-logins row
second_portcullis_pid=""  # the audit rows run two servers side by side

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Sends TERM, waits up to ~5 s, then KILL. Only ever signals the given pids (our own children).
stop_pid() {
    local pid=$1 name=$2
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$wrk_pid" wrk
    stop_pid "$bg_wrk_pid" "background wrk"
    stop_portcullis
    stop_pid "$second_portcullis_pid" portcullis
    stop_nginx
    if [ -n "$workdir" ] && [ -d "$workdir" ]; then rm -rf "$workdir"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---- helpers ------------------------------------------------------------------------------------

# A loopback port no socket uses, below the kernel's ephemeral range (wrk's client ports and
# other processes' outgoing connections live there, and a listener cannot bind over them). The
# server binds it right after; the start functions retry on a lost race.
free_port() {
    local low=10000 high=32767 ephemeral_low port i
    ephemeral_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    if [ "$ephemeral_low" -gt 11000 ]; then high=$((ephemeral_low - 1)); else low=61000 high=65000; fi
    for ((i = 0; i < 100; i++)); do
        port=$((low + (RANDOM * 32768 + RANDOM) % (high - low + 1)))
        if command -v ss >/dev/null; then
            [ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ] || continue
        elif (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            continue
        fi
        echo "$port"
        return 0
    done
    die "no free port found"
}

# Polls URL until it answers 200 or PID dies; 10 s at most.
wait_http() {
    local url=$1 pid=$2 name=$3 i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    log "$name did not answer $url within 10 s"
    return 1
}

# VmRSS in kB of the given pids, summed; "-" when none is readable.
rss_kb() {
    local total=0 found=0 pid kb
    for pid in "$@"; do
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        if [ -n "$kb" ]; then
            total=$((total + kb))
            found=1
        fi
    done
    if [ "$found" = 1 ]; then echo "$total"; else echo "-"; fi
}

fmt_rss() {
    if [ "$1" = "-" ]; then echo "-"; else awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; fi
}

# wrk latency ("812.00us", "1.23ms", "2.01s", "1.5m") → milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        else if (u != "ms") { print "?"; exit }
        printf "%.3f", n
    }'
}

# "portcullis /health (LOG_LEVEL=info)" → "portcullis-health-log_level-info"
slug() { echo "$1" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9_]\{1,\}/-/g' -e 's/^-//' -e 's/-$//'; }

# run_tracked FILE CMD...: runs CMD in the background so a signal reaches our trap at once (which
# stops it); output goes to FILE. wrk (through run_wrk), pgbench and the Argon2 tool run so.
run_tracked() {
    local out=$1
    shift
    "$@" >"$out" 2>&1 &
    wrk_pid=$!
    local rc=0
    wait "$wrk_pid" || rc=$?
    wrk_pid=""
    return "$rc"
}

# Runs wrk in the background so a signal reaches our trap at once; output goes to file $1.
run_wrk() {
    local out=$1
    shift
    run_tracked "$out" wrk "$@"
}

# parse_wrk FILE: "REQS_PER_SEC P50_MS P99_MS ERRORS" of one wrk --latency output. ERRORS counts
# socket errors (connect, read, write, timeout) and non-2xx/3xx answers. Rates below 100/s (logins)
# keep wrk's two decimals: rounding them to integers would move their percentages by whole points.
# With WRK_EXPECT_NON2XX=1 (rows whose every answer is a 401 or 429 on purpose) only socket errors
# count.
WRK_EXPECT_NON2XX=0
parse_wrk() {
    local raw=$1 rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ { if ($2 < 100) printf "%.2f", $2; else printf "%.0f", $2 }' "$raw")
    p50=$(awk '$1 == "50%" {print $2}' "$raw")
    p99=$(awk '$1 == "99%" {print $2}' "$raw")
    errors=$(awk '
        /Socket errors:/ { for (i = 3; i <= NF; i++) { v = $i; gsub(/,/, "", v); if (v ~ /^[0-9]+$/) s += v } }
        /Non-2xx or 3xx responses:/ { if (!expected) s += $NF }
        END { print s + 0 }' expected="$WRK_EXPECT_NON2XX" "$raw")
    if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
        die "could not parse wrk output $raw: $(cat "$raw")"
    fi
    echo "$rps $(to_ms "$p50") $(to_ms "$p99") $errors"
}

# wrk_row NAME URL [extra wrk args...]
# A short warm-up, then BENCH_RUNS measured runs; the run with the median req/s is reported.
# Returns its numbers in WRK_RPS, WRK_P50_MS, WRK_P99_MS and WRK_ERRORS (globals rather than
# stdout: wrk must stay a child of this shell so the trap can stop it), and all runs' req/s in
# WRK_ALL_RPS. Raw outputs end up in $RESULTS_DIR/raw/NAME.txt (NAME.runN.txt with several runs).
# WRK_ERRORS > 0 makes a row worthless: check it first.
# WRK_PREPARE, when set, names a function called before every wrk run (warm-up included), e.g. to
# hand each run fresh refresh tokens.
WRK_RPS="" WRK_P50_MS="" WRK_P99_MS="" WRK_ERRORS="" WRK_ALL_RPS="" WRK_PREPARE=""
wrk_row() {
    local name=$1 url=$2
    shift 2
    local args=(-t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" --latency "$@")
    local base
    base="$workdir/raw/$(slug "$name")"
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        if [ -n "$WRK_PREPARE" ]; then "$WRK_PREPARE"; fi
        run_wrk "$workdir/warmup.txt" "${args[@]}" -d"$BENCH_WARMUP" "$url" ||
            die "wrk warm-up failed for $name: $(cat "$workdir/warmup.txt")"
    fi
    local runs=() run raw
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        raw="$base.txt"
        [ "$BENCH_RUNS" = 1 ] || raw="$base.run$run.txt"
        if [ -n "$WRK_PREPARE" ]; then "$WRK_PREPARE"; fi
        run_wrk "$raw" "${args[@]}" -d"$BENCH_DURATION" "$url" ||
            die "wrk failed for $name: $(cat "$raw")"
        runs+=("$(parse_wrk "$raw")")
    done
    local median
    median=$(printf '%s\n' "${runs[@]}" | sort -n -k1,1 | awk '{ line[NR] = $0 } END { print line[int((NR + 1) / 2)] }')
    read -r WRK_RPS WRK_P50_MS WRK_P99_MS WRK_ERRORS <<<"$median"
    WRK_ALL_RPS=$(printf '%s\n' "${runs[@]}" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }')
    # Errors of any run count: one bad run makes the row suspect.
    WRK_ERRORS=$(printf '%s\n' "${runs[@]}" | awk '{ s += $4 } END { print s + 0 }')
}

# ---- the table ----------------------------------------------------------------------------------
ROW_NAMES=()
ROW_RPS=()
ROW_P99=()
ROW_LINES=()
RUN_NOTES=()
TABLE_HEADER="| name | req/s | p50 | p99 | RSS before | RSS after | errors |"
TABLE_RULE="|---|---:|---:|---:|---:|---:|---:|"

# add_row NAME REQS_PER_SEC P50_MS P99_MS RSS_BEFORE RSS_AFTER ERRORS  (any field may be "-")
add_row() {
    local name=$1 rps=$2 p50=$3 p99=$4 before=$5 after=$6 errors=$7
    ROW_P99+=("$p99")
    [ "$p50" = "-" ] || p50="$p50 ms"
    [ "$p99" = "-" ] || p99="$p99 ms"
    local line="| $name | $rps | $p50 | $p99 | $before | $after | $errors |"
    ROW_NAMES+=("$name")
    ROW_RPS+=("$rps")
    ROW_LINES+=("$line")
    log "$line"
}

rps_of() {
    local i
    for i in "${!ROW_NAMES[@]}"; do
        if [ "${ROW_NAMES[$i]}" = "$1" ]; then echo "${ROW_RPS[$i]}"; return 0; fi
    done
    echo "-"
}

# measure_row NAME URL PIDS [extra wrk args...]: RSS of PIDS (space-separated) around one wrk row.
measure_row() {
    local name=$1 url=$2 pids=$3
    shift 3
    local before after
    # shellcheck disable=SC2086  # pids is a word list on purpose
    before=$(rss_kb $pids)
    wrk_row "$name" "$url" "$@"
    # shellcheck disable=SC2086
    after=$(rss_kb $pids)
    add_row "$name" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" "$(fmt_rss "$before")" \
        "$(fmt_rss "$after")" "$WRK_ERRORS"
    if [ "$BENCH_RUNS" -gt 1 ]; then RUN_NOTES+=("$name: req/s of the $BENCH_RUNS runs: $WRK_ALL_RPS"); fi
}

# ---- servers ------------------------------------------------------------------------------------
portcullis_port=""
# Extra VAR=value settings and `serve` arguments for the next start_portcullis (a row sets and
# clears them).
PORTCULLIS_EXTRA_ENV=()
PORTCULLIS_SERVE_ARGS=()

# start_portcullis LOG_LEVEL [LOG_FILE]: a clean environment, cwd in the work dir (no .env).
start_portcullis() {
    local level=$1 logfile=${2:-$workdir/portcullis.log} attempt status
    for attempt in 1 2 3; do
        if try_start_portcullis "$level" "$logfile"; then return 0; fi
        # Still running but not answering: no point in another port.
        kill -0 "$portcullis_pid" 2>/dev/null && break
        status=0
        wait "$portcullis_pid" 2>/dev/null || status=$?
        portcullis_pid=""
        log "portcullis exited with status $status on port $portcullis_port (attempt $attempt)"
        # The bind error is logged at `fatal`, which LOG_LEVEL=silent hides: retry any early exit
        # (a bad configuration fails three times in a row, quickly).
    done
    stop_portcullis
    log "portcullis stdout:"; tail -n 20 "$logfile" >&2 || true
    log "portcullis stderr:"; tail -n 20 "$workdir/portcullis.stderr" >&2 || true
    die "portcullis did not start"
}

try_start_portcullis() {
    local level=$1 logfile=$2
    portcullis_port=$(free_port)
    (
        cd "$workdir"
        exec env -i PATH="$PATH" \
            PORT="$portcullis_port" \
            DATABASE_URL="$BENCH_DATABASE_URL" \
            JWT_ACCESS_SECRET="bench-access-secret-0123456789abcdef0123456789" \
            JWT_REFRESH_SECRET="bench-refresh-secret-0123456789abcdef0123456789" \
            APP_ENV=development \
            LOG_LEVEL="$level" \
            IO_THREADS="$BENCH_IO_THREADS" \
            DATABASE_POOL_SIZE="${BENCH_POOL_SIZE:-4}" \
            RATE_LIMIT_RPM=1000000000 RATE_LIMIT_RPM_AUTH=1000000000 \
            RATE_LIMIT_RPM_AUTH_REGISTER=1000000000 RATE_LIMIT_RPM_AUTH_PASSWORD_RESET=1000000000 \
            "${PORTCULLIS_EXTRA_ENV[@]}" \
            "$PORTCULLIS_BIN" serve "${PORTCULLIS_SERVE_ARGS[@]}"
    ) >"$logfile" 2>"$workdir/portcullis.stderr" &
    portcullis_pid=$!
    wait_http "http://$HOST:$portcullis_port/health" "$portcullis_pid" portcullis
}

stop_portcullis() {
    local pid=$portcullis_pid
    portcullis_pid=""
    stop_pid "$pid" portcullis
}

# A private nginx answering GET /health with the same 15-byte body from memory.
start_nginx() {
    local attempt error_log="$workdir/nginx/logs/error.log"
    for attempt in 1 2 3; do
        if try_start_nginx; then
            local body
            body=$(curl -fsS "$nginx_url")
            [ "$body" = '{"status":"ok"}' ] || die "nginx answered '$body'"
            return 0
        fi
        stop_nginx
        grep -q "Address already in use" "$error_log" || break
        log "nginx port was taken meanwhile (attempt $attempt); another port"
    done
    tail -n 20 "$error_log" "$workdir/nginx/logs/stdout.log" >&2 || true
    die "nginx did not start"
}

try_start_nginx() {
    local port
    port=$(free_port)
    local prefix="$workdir/nginx" reuseport=""
    if [ "$BENCH_NGINX_REUSEPORT" = 1 ]; then reuseport=" reuseport"; fi
    mkdir -p "$prefix/logs" "$prefix/tmp"
    : >"$prefix/logs/error.log"
    {
        if [ "$(id -u)" = 0 ]; then echo "user root;"; fi
        cat <<EOF
worker_processes $BENCH_NGINX_WORKERS;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    server_tokens off;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    server {
        listen $HOST:$port$reuseport;
        location = /health {
            default_type application/json;
            return 200 '{"status":"ok"}';
        }
    }
}
EOF
    } >"$prefix/nginx.conf"
    "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
        >"$prefix/logs/stdout.log" 2>&1 &
    nginx_pid=$!
    nginx_url="http://$HOST:$port/health"
    wait_http "$nginx_url" "$nginx_pid" nginx
}

nginx_pids() { echo "$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"; }

stop_nginx() {
    local pid=$nginx_pid
    [ -n "$pid" ] || return 0
    nginx_pid=""
    local workers
    workers=$(pgrep -P "$pid" || true)
    stop_pid "$pid" nginx
    # The master reaps its workers on TERM; make sure none outlived it.
    local w
    for w in $workers; do
        if kill -0 "$w" 2>/dev/null; then kill -KILL "$w" 2>/dev/null || true; fi
    done
}

# ---- rows ---------------------------------------------------------------------------------------
nginx_url=""
NO_LIMITER_ROW="portcullis /health (no rate limiter)"
# /version, not /health: the probes are counted by the local store so that they never wait on
# Redis (decisions E.6), while every other route goes through the Redis limiter.
REDIS_LIMITER_ROW="portcullis /version (Redis global limiter)"

row_nginx_health() {
    start_nginx
    measure_row "nginx /health (ceiling)" "$nginx_url" "$(nginx_pids)"
    stop_nginx
}

row_portcullis_health() {
    start_portcullis "$BENCH_LOG_LEVEL"
    local body
    body=$(curl -fsS "http://$HOST:$portcullis_port/health")
    [ "$body" = '{"status":"ok"}' ] || die "portcullis /health answered '$body'"
    measure_row "portcullis /health (LOG_LEVEL=$BENCH_LOG_LEVEL)" \
        "http://$HOST:$portcullis_port/health" "$portcullis_pid"
    stop_portcullis
}

# The main /health row again with the metrics recorder left out of the chain
# (METRICS_RECORDING=false): the difference between the two rows is the cost of recording.
row_portcullis_health_metrics_off() {
    PORTCULLIS_EXTRA_ENV=(METRICS_RECORDING=false)
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    curl -fsS "http://$HOST:$portcullis_port/health" >/dev/null
    local exposition
    exposition=$(curl -fsS "http://$HOST:$portcullis_port/metrics")
    if grep -q '^http_requests_total{' <<<"$exposition"; then
        die "METRICS_RECORDING=false still records requests"
    fi
    measure_row "portcullis /health (metrics off)" "http://$HOST:$portcullis_port/health" \
        "$portcullis_pid"
    stop_portcullis
}

# The cost of rate limiting (issue "Redis"): /health without any limiter, against the main row
# (in-memory limiters) and the Redis row (global limiter in Redis: one atomic script per request).
row_portcullis_health_no_limiter() {
    PORTCULLIS_EXTRA_ENV=(RATE_LIMIT_ENABLED=false)
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    if curl -fsSi "http://$HOST:$portcullis_port/health" | grep -qi '^ratelimit-limit'; then
        die "RATE_LIMIT_ENABLED=false still limits"
    fi
    measure_row "$NO_LIMITER_ROW" "http://$HOST:$portcullis_port/health" "$portcullis_pid"
    stop_portcullis
}

row_portcullis_health_redis_limiter() {
    PORTCULLIS_EXTRA_ENV=(RATE_LIMIT_REDIS_URL="$BENCH_REDIS_URL")
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    local ready
    for _ in $(seq 50); do
        ready=$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$portcullis_port/ready")
        [ "$ready" = 200 ] && break
        sleep 0.1
    done
    [ "$ready" = 200 ] || die "portcullis with Redis is not ready"
    curl -fsSi "http://$HOST:$portcullis_port/version" | grep -qi '^ratelimit-limit' ||
        die "the Redis limiter set no RateLimit headers"
    measure_row "$REDIS_LIMITER_ROW" "http://$HOST:$portcullis_port/version" "$portcullis_pid"
    stop_portcullis
}

# Same endpoint with one pino-http line per request written to a file in the work dir.
row_portcullis_health_info_log() {
    local logfile="$workdir/portcullis-info.log"
    start_portcullis info "$logfile"
    measure_row "portcullis /health (LOG_LEVEL=info → file)" \
        "http://$HOST:$portcullis_port/health" "$portcullis_pid"
    stop_portcullis
    INFO_LOG_NOTE="info row: $(wc -l <"$logfile") log lines, $(du -h "$logfile" | cut -f1) written"
    rm -f "$logfile"
}

# The database ceiling: pgbench running `SELECT 1` (prepared) with as many clients as wrk has
# connections, against the same local Postgres that /ready pings.
row_pgbench_select1() {
    local script="$workdir/select1.sql" raw="$workdir/raw/pgbench-select1.txt"
    echo "SELECT 1;" >"$script"
    "$PGBENCH_BIN" -n -M prepared -f "$script" -c "$BENCH_CONNECTIONS" -j "$BENCH_THREADS" \
        -T "${BENCH_WARMUP%s}" "$BENCH_DATABASE_URL" >/dev/null 2>&1 || true
    "$PGBENCH_BIN" -n -M prepared -f "$script" -c "$BENCH_CONNECTIONS" -j "$BENCH_THREADS" \
        -T "${BENCH_DURATION%s}" "$BENCH_DATABASE_URL" >"$raw" 2>&1 ||
        die "pgbench failed: $(tail -n 5 "$raw")"
    local tps latency
    tps=$(awk '/^tps = / { printf "%d", $3; exit }' "$raw")
    latency=$(awk '/^latency average = / { print $4; exit }' "$raw")
    [ -n "$tps" ] || die "could not parse pgbench output: $(cat "$raw")"
    add_row "pgbench SELECT 1 (ceiling)" "$tps" "${latency:-?} (avg)" "-" "-" "-" "0"
}

# GET /ready: one pooled `SELECT 1` round trip per request.
row_portcullis_ready() {
    start_portcullis "$BENCH_LOG_LEVEL"
    local body
    body=$(curl -fsS "http://$HOST:$portcullis_port/ready") ||
        die "portcullis /ready is not ready (is the database up?)"
    [ "$body" = '{"status":"ready"}' ] || die "portcullis /ready answered '$body'"
    measure_row "portcullis /ready (LOG_LEVEL=$BENCH_LOG_LEVEL)" \
        "http://$HOST:$portcullis_port/ready" "$portcullis_pid"
    stop_portcullis
}

# The per-statement cost of the Postgres layer, without HTTP: `SELECT 1` through db::Pool with its
# own sync point per call (not /ready's shared ping), BENCH_CONNECTIONS callers over one pool of
# BENCH_POOL_SIZE connections per thread and one thread per I/O thread of the server (IO_THREADS=0:
# one per core). Informational, beside pgbench's SELECT 1. The p50 column shows callers / rate, the
# average time of one call (pgbench derives its latency average the same way).
POOL_SELECT1_THREADS=$BENCH_IO_THREADS
[ "$POOL_SELECT1_THREADS" != 0 ] || POOL_SELECT1_THREADS=$(nproc)
POOL_SELECT1_ROW="portcullis db::Pool SELECT 1 ($POOL_SELECT1_THREADS threads × pool ${BENCH_POOL_SIZE:-4}, $BENCH_CONNECTIONS callers, no HTTP)"
row_portcullis_pool_select1() {
    [ -x "$POOL_SELECT1_RATE_BIN" ] ||
        die "$POOL_SELECT1_RATE_BIN is not built (cmake --build build/release --target portcullis_pool_select1_rate -j2)"
    local args raw warmup=0 run out line runs=() rate statements errors sent rps avg
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        warmup=$(duration_seconds "$BENCH_WARMUP")
    fi
    # Every run warms up its own pools (new connections, statements not yet prepared).
    args=(--url "$BENCH_DATABASE_URL" --threads "$POOL_SELECT1_THREADS" --callers "$BENCH_CONNECTIONS"
        --pool-size "${BENCH_POOL_SIZE:-4}" --warmup "$warmup"
        --seconds "$(duration_seconds "$BENCH_DURATION")")
    raw="$workdir/raw/$(slug "$POOL_SELECT1_ROW").txt"
    # BENCH_RUNS measured runs, the median shown, as for the wrk rows. Exit status 1 with a result
    # line means failed calls: they go to the errors column rather than stopping the bench.
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        out=$raw
        [ "$BENCH_RUNS" = 1 ] || out="${raw%.txt}.run$run.txt"
        run_tracked "$out" "$POOL_SELECT1_RATE_BIN" "${args[@]}" || true
        line=$(sed -n 's/^statements_per_sec=\([0-9.]*\) statements=\([0-9]*\) errors=\([0-9]*\) .* pool_statements_sent=\([0-9]*\)$/\1 \2 \3 \4/p' "$out")
        [ -n "$line" ] || die "db::Pool SELECT 1 rate failed: $(cat "$out")"
        runs+=("$line")
    done
    read -r rate statements errors sent <<<"$(printf '%s\n' "${runs[@]}" | sort -n -k1,1 |
        awk '{ line[NR] = $0 } END { print line[int((NR + 1) / 2)] }')"
    # Failed calls of any run count, as for wrk.
    errors=$(printf '%s\n' "${runs[@]}" | awk '{ s += $3 } END { print s + 0 }')
    [ "$errors" = 0 ] || log "warning: $errors failed db::Pool calls; see $(basename "$raw")"
    rps=$(awk -v r="$rate" 'BEGIN { if (r < 100) printf "%.2f", r; else printf "%.0f", r }')
    avg=$(awk -v r="$rate" -v c="$BENCH_CONNECTIONS" 'BEGIN { if (r > 0) printf "%.3f", 1000 * c / r; else print "?" }')
    if [ "$BENCH_RUNS" -gt 1 ]; then
        RUN_NOTES+=("$POOL_SELECT1_ROW: statements/s of the $BENCH_RUNS runs: $(printf '%s\n' "${runs[@]}" | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }')")
    fi
    RUN_NOTES+=("$POOL_SELECT1_ROW: $statements calls completed, $sent statements sent by the pools (Pool::statements_sent)")
    add_row "$POOL_SELECT1_ROW" "$rps" "$avg (avg)" "-" "-" "-" "$errors"
}

# ---- auth rows: helpers -------------------------------------------------------------------------
# The auth rows register users and log in with curl against the server they started. Their users
# live under an email domain of their own in the shared local database and are deleted when the row
# is done (and before it starts, in case an earlier run was interrupted).
BENCH_EMAIL_DOMAIN=bench.portcullis.test
BENCH_PASSWORD='Bench-Passw0rd!'
HASH_THREADS=$(getconf _NPROCESSORS_ONLN)  # the service's hashing pool: one thread per core

ARGON2_ROW="Argon2id libsodium m=$BENCH_ARGON2_MEMORY_KIB t=$BENCH_ARGON2_ITERATIONS, $HASH_THREADS threads, hashes/s (ceiling)"
LOGIN_ROW="portcullis POST /auth/login (-c$BENCH_LOGIN_CONNECTIONS)"
BUSY_HEALTH_ROW="portcullis /health during logins (-c$BENCH_BUSY_HEALTH_CONNECTIONS)"
SELECT_ONLY_ROW="pgbench -S (ceiling)"
PROTECTED_ROW="portcullis GET /protected/users/:id"
UPDATE_PK_ROW="pgbench UPDATE by primary key (ceiling)"
REFRESH_ROW="portcullis POST /auth/refresh"
EDDSA_PROTECTED_ROW="portcullis GET /protected/users/:id (EdDSA)"
GRACE_REFRESH_ROW="portcullis POST /auth/refresh (grace window 10 s)"
BUSY_LOGIN_NOTE=""
# wrk's default 2 s timeout counts a login still queued behind the others as an error (and leaves it
# out of the latency figures): queueing is expected here, so only a really stuck login counts.
LOGIN_WRK_TIMEOUT=30s
REFRESH_NOTE=""
WRONG_PASSWORD_ROW="portcullis POST /auth/login wrong password (-c1)"
UNKNOWN_EMAIL_ROW="portcullis POST /auth/login unknown email (-c1)"
LOGIN_TIMING_NOTE=""
INVALID_TOKEN_ROW="portcullis GET /auth/sessions, invalid token (401)"
LOCKED_LOGIN_ROW="portcullis POST /auth/login, locked account (429)"
AUDIT_OFF_ROW="portcullis POST /auth/login m=$BENCH_SETUP_ARGON2_MEMORY_KIB t=$BENCH_SETUP_ARGON2_ITERATIONS, audit off (-c$BENCH_LOGIN_CONNECTIONS)"
AUDIT_ON_ROW="portcullis POST /auth/login m=$BENCH_SETUP_ARGON2_MEMORY_KIB t=$BENCH_SETUP_ARGON2_ITERATIONS, audit on (-c$BENCH_LOGIN_CONNECTIONS)"
AUDIT_NOTE=""

# A wrk duration ("10s", "2m", "1h", "10") in whole seconds, at least 1 (pgbench -T, Argon2 tool).
duration_seconds() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "m") n *= 60; else if (u == "h") n *= 3600; else if (u != "s" && u != "") n = -1
        if (n < 0) { print "bad duration: " v > "/dev/stderr"; exit 1 }
        n = int(n + 0.5); print (n < 1 ? 1 : n)
    }'
}

bench_psql() { "$PSQL_BIN" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# BENCH_DATABASE_URL with its database name replaced by $1.
database_url_for() {
    [[ "$BENCH_DATABASE_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "BENCH_DATABASE_URL must be a postgresql:// URL for the pgbench database"
    echo "${BASH_REMATCH[1]}/$1${BASH_REMATCH[4]}"
}

# The database of the pgbench ceilings: created with BENCH_DATABASE_URL's credentials and filled by
# `pgbench -i -s 1` (100 000 pgbench_accounts rows) the first time; reused afterwards.
PGBENCH_URL=""
ensure_pgbench_database() {
    [ -z "$PGBENCH_URL" ] || return 0
    local db=$BENCH_PGBENCH_DATABASE url exists rows
    [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_PGBENCH_DATABASE must be a plain lower-case name"
    url=$(database_url_for "$db")
    exists=$(bench_psql -d "$BENCH_DATABASE_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ||
        die "psql could not connect to BENCH_DATABASE_URL"
    if [ "$exists" != 1 ]; then
        log "creating database $db for pgbench"
        bench_psql -d "$BENCH_DATABASE_URL" -c "CREATE DATABASE $db" || die "CREATE DATABASE $db failed"
    fi
    rows=$(bench_psql -d "$url" -c "SELECT count(*) FROM pgbench_accounts" 2>/dev/null || true)
    if [ "$rows" != 100000 ]; then
        log "pgbench -i -s 1 on $db"
        "$PGBENCH_BIN" -i -s 1 -q "$url" >"$workdir/pgbench-init.txt" 2>&1 ||
            die "pgbench -i failed: $(tail -n 5 "$workdir/pgbench-init.txt")"
    fi
    PGBENCH_URL=$url
}

# pgbench_row NAME [pgbench args]: a warm-up and one measured pgbench run on the pgbench database
# with as many clients as wrk has connections (prepared statements, as Portcullis uses).
pgbench_row() {
    local name=$1
    shift
    local raw args tps latency failed
    raw="$workdir/raw/$(slug "$name").txt"
    args=(-n -M prepared -c "$BENCH_CONNECTIONS" -j "$BENCH_THREADS" "$@")
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        run_tracked "$workdir/pgbench-warmup.txt" "$PGBENCH_BIN" "${args[@]}" \
            -T "$(duration_seconds "$BENCH_WARMUP")" "$PGBENCH_URL" ||
            die "pgbench warm-up failed for $name: $(tail -n 5 "$workdir/pgbench-warmup.txt")"
    fi
    run_tracked "$raw" "$PGBENCH_BIN" "${args[@]}" -T "$(duration_seconds "$BENCH_DURATION")" \
        "$PGBENCH_URL" || die "pgbench failed for $name: $(tail -n 5 "$raw")"
    tps=$(awk '/^tps = / { printf "%d", $3; exit }' "$raw")
    latency=$(awk '/^latency average = / { print $4; exit }' "$raw")
    failed=$(awk '/^number of failed transactions:/ { print $5; exit }' "$raw")
    [ -n "$tps" ] || die "could not parse pgbench output: $(cat "$raw")"
    add_row "$name" "$tps" "${latency:-?} (avg)" "-" "-" "-" "${failed:-0}"
}

credentials_json() { printf '{"email":"%s","password":"%s"}' "$1" "$BENCH_PASSWORD"; }

# json_string_field NAME JSON: the value of a top-level string field (tokens have no escapes).
json_string_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"; }

# The `sub` claim of a JWT (the user id), without verification.
jwt_subject() {
    local payload
    payload=$(cut -d. -f2 <<<"$1" | tr -- '-_' '+/')
    while ((${#payload} % 4)); do payload+='='; done
    base64 -d <<<"$payload" 2>/dev/null | sed -n 's/.*"sub":"\([^"]*\)".*/\1/p'
}

# auth_post PATH BODY: POSTs JSON to the running server; sets HTTP_STATUS and HTTP_BODY.
HTTP_STATUS="" HTTP_BODY=""
auth_post() {
    local out
    out=$(curl -sS --max-time 30 -H 'Content-Type: application/json' --data "$2" \
        -w '\n%{http_code}' "http://$HOST:$portcullis_port$1") || die "curl POST $1 failed"
    HTTP_STATUS=${out##*$'\n'}
    HTTP_BODY=${out%$'\n'*}
}

# register_bench_user TAG: a new user; sets AUTH_EMAIL, AUTH_ACCESS, AUTH_REFRESH, AUTH_USER_ID.
AUTH_EMAIL="" AUTH_ACCESS="" AUTH_REFRESH="" AUTH_USER_ID=""
register_bench_user() {
    AUTH_EMAIL="bench-$1-$$-$RANDOM$RANDOM@$BENCH_EMAIL_DOMAIN"
    auth_post /auth/register "$(credentials_json "$AUTH_EMAIL")"
    [ "$HTTP_STATUS" = 201 ] || die "POST /auth/register answered $HTTP_STATUS: $HTTP_BODY"
    AUTH_ACCESS=$(json_string_field accessToken "$HTTP_BODY")
    AUTH_REFRESH=$(json_string_field refreshToken "$HTTP_BODY")
    if [ -z "$AUTH_ACCESS" ] || [ -z "$AUTH_REFRESH" ]; then
        die "POST /auth/register returned no tokens: $HTTP_BODY"
    fi
    AUTH_USER_ID=$(jwt_subject "$AUTH_ACCESS")
    [ -n "$AUTH_USER_ID" ] || die "no sub claim in the access token"
}

# login_bench_user: a new session of AUTH_EMAIL; sets AUTH_ACCESS and AUTH_REFRESH.
login_bench_user() {
    auth_post /auth/login "$(credentials_json "$AUTH_EMAIL")"
    [ "$HTTP_STATUS" = 200 ] || die "POST /auth/login answered $HTTP_STATUS: $HTTP_BODY"
    AUTH_ACCESS=$(json_string_field accessToken "$HTTP_BODY")
    AUTH_REFRESH=$(json_string_field refreshToken "$HTTP_BODY")
    [ -n "$AUTH_REFRESH" ] || die "POST /auth/login returned no refresh token: $HTTP_BODY"
}

# Deletes every user of BENCH_EMAIL_DOMAIN (sessions and login attempts cascade) and their
# security events (which outlive accounts by design).
delete_bench_users() {
    bench_psql -d "$BENCH_DATABASE_URL" \
        -c "DELETE FROM \"User\" WHERE email LIKE '%@$BENCH_EMAIL_DOMAIN'" >/dev/null 2>&1 ||
        log "warning: could not delete the bench users (@$BENCH_EMAIL_DOMAIN)"
    bench_psql -d "$BENCH_DATABASE_URL" \
        -c "DELETE FROM \"AuditEvent\" WHERE email LIKE '%@$BENCH_EMAIL_DOMAIN'" >/dev/null 2>&1 || true
}

# start_portcullis_auth MEMORY_KIB ITERATIONS [VAR=value...]: `serve --migrate` with these Argon2
# parameters and any further settings.
start_portcullis_auth() {
    PORTCULLIS_EXTRA_ENV=(AUTH_ARGON2_MEMORY_KIB="$1" AUTH_ARGON2_ITERATIONS="$2" "${@:3}")
    PORTCULLIS_SERVE_ARGS=(--migrate)
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    PORTCULLIS_SERVE_ARGS=()
    delete_bench_users
}

# ---- auth rows ----------------------------------------------------------------------------------

# The login ceiling: libsodium's Argon2id (the call the service makes) on one thread per core, with
# the login rows' parameters, nothing else running. The p50 column shows the time of one hash.
row_argon2_rate() {
    [ -x "$ARGON2_RATE_BIN" ] ||
        die "$ARGON2_RATE_BIN is not built (cmake --build build/release --target portcullis_argon2_rate -j2)"
    local args raw rate per_hash
    args=(--threads "$HASH_THREADS" --memory-kib "$BENCH_ARGON2_MEMORY_KIB"
        --iterations "$BENCH_ARGON2_ITERATIONS")
    raw="$workdir/raw/$(slug "$ARGON2_ROW").txt"
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        run_tracked "$workdir/argon2-warmup.txt" "$ARGON2_RATE_BIN" "${args[@]}" \
            --seconds "$(duration_seconds "$BENCH_WARMUP")" ||
            die "Argon2 warm-up failed: $(cat "$workdir/argon2-warmup.txt")"
    fi
    # BENCH_RUNS measured runs, the median shown, as for the wrk rows.
    local run rates=() out
    for ((run = 1; run <= BENCH_RUNS; run++)); do
        out=$raw
        [ "$BENCH_RUNS" = 1 ] || out="${raw%.txt}.run$run.txt"
        run_tracked "$out" "$ARGON2_RATE_BIN" "${args[@]}" --seconds "$(duration_seconds "$BENCH_DURATION")" ||
            die "Argon2 rate failed: $(cat "$out")"
        rate=$(sed -n 's/^hashes_per_sec=\([0-9.]*\) .*/\1/p' "$out")
        [ -n "$rate" ] || die "could not parse $out: $(cat "$out")"
        rates+=("$rate")
    done
    rate=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    if [ "$BENCH_RUNS" -gt 1 ]; then RUN_NOTES+=("$ARGON2_ROW: hashes/s of the $BENCH_RUNS runs: ${rates[*]}"); fi
    per_hash=$(awk -v r="$rate" -v t="$HASH_THREADS" 'BEGIN { if (r > 0) printf "%.1f", 1000 * t / r; else print "?" }')
    add_row "$ARGON2_ROW" "$rate" "$per_hash (per hash)" "-" "-" "-" "0"
}

# Before each login wrk run: the server keeps hashing the logins wrk left in flight or queued when
# its previous run (the warm-up) stopped, and would bill that to the measured run. Two logins one
# after the other wait it out: when the first answers, every earlier job has started (the queue is
# FIFO); when the second does, about one hash time later, they have finished.
drain_hash_queue() {
    login_bench_user
    login_bench_user
}

# POST /auth/login of one registered user over a few connections (more would only queue in the
# hashing pool, or overflow it into 503s).
row_portcullis_login() {
    start_portcullis_auth "$BENCH_ARGON2_MEMORY_KIB" "$BENCH_ARGON2_ITERATIONS"
    register_bench_user login
    login_bench_user
    export PORTCULLIS_BENCH_BODY
    PORTCULLIS_BENCH_BODY=$(credentials_json "$AUTH_EMAIL")
    WRK_PREPARE=drain_hash_queue
    measure_row "$LOGIN_ROW" "http://$HOST:$portcullis_port/auth/login" "$portcullis_pid" \
        -c"$BENCH_LOGIN_CONNECTIONS" --timeout "$LOGIN_WRK_TIMEOUT" -s "$root/bench/wrk/login.lua"
    WRK_PREPARE=""
    unset PORTCULLIS_BENCH_BODY
    stop_portcullis
    delete_bench_users
}

# GET /health while a background wrk keeps the hashing pool saturated with logins: does hashing
# starve the I/O threads? The row shows /health's numbers; the login load's own numbers are in a
# note under the table and its errors count in this row's errors column.
row_portcullis_health_during_login() {
    start_portcullis_auth "$BENCH_ARGON2_MEMORY_KIB" "$BENCH_ARGON2_ITERATIONS"
    register_bench_user busy
    login_bench_user
    export PORTCULLIS_BENCH_BODY
    PORTCULLIS_BENCH_BODY=$(credentials_json "$AUTH_EMAIL")
    local warmup=0 total bg_raw before after rc=0 login_rps login_errors login_alone
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        warmup=$(duration_seconds "$BENCH_WARMUP")
    fi
    # 1 s for the pool to fill, the /health warm-up and runs, 1 s to spare.
    total=$((1 + warmup + BENCH_RUNS * $(duration_seconds "$BENCH_DURATION") + 1))
    bg_raw="$workdir/raw/$(slug "$BUSY_HEALTH_ROW")-logins.txt"
    wrk -t1 -c"$BENCH_LOGIN_CONNECTIONS" -d"${total}s" --latency --timeout "$LOGIN_WRK_TIMEOUT" \
        -s "$root/bench/wrk/login.lua" \
        "http://$HOST:$portcullis_port/auth/login" >"$bg_raw" 2>&1 &
    bg_wrk_pid=$!
    sleep 1
    kill -0 "$bg_wrk_pid" 2>/dev/null || die "the background login wrk exited: $(cat "$bg_raw")"
    before=$(rss_kb "$portcullis_pid")
    wrk_row "$BUSY_HEALTH_ROW" "http://$HOST:$portcullis_port/health" -c"$BENCH_BUSY_HEALTH_CONNECTIONS"
    after=$(rss_kb "$portcullis_pid")
    kill -0 "$bg_wrk_pid" 2>/dev/null || log "warning: the login load ended before /health's run did"
    wait "$bg_wrk_pid" || rc=$?
    bg_wrk_pid=""
    unset PORTCULLIS_BENCH_BODY
    [ "$rc" = 0 ] || die "the background login wrk failed: $(cat "$bg_raw")"
    read -r login_rps _ _ login_errors <<<"$(parse_wrk "$bg_raw")"
    add_row "$BUSY_HEALTH_ROW" "$WRK_RPS" "$WRK_P50_MS" "$WRK_P99_MS" "$(fmt_rss "$before")" \
        "$(fmt_rss "$after")" "$((WRK_ERRORS + login_errors))"
    login_alone=$(rps_of "$LOGIN_ROW")
    BUSY_LOGIN_NOTE="$login_rps logins/s in the background (-t1 -c$BENCH_LOGIN_CONNECTIONS, ${total}s"
    if [ "$login_alone" != "-" ]; then
        BUSY_LOGIN_NOTE+=", $(awk -v a="$login_rps" -v b="$login_alone" 'BEGIN { printf "%.1f", 100 * a / b }') % of the login row"
    fi
    BUSY_LOGIN_NOTE+=", $login_errors errors)"
    if [ "$BENCH_RUNS" -gt 1 ]; then RUN_NOTES+=("$BUSY_HEALTH_ROW: req/s of the $BENCH_RUNS runs: $WRK_ALL_RPS"); fi
    stop_portcullis
    delete_bench_users
}

# The ceiling of /protected/users/:id: pgbench's built-in select-only script (one SELECT of
# pgbench_accounts by primary key per transaction).
row_pgbench_select_only() {
    ensure_pgbench_database
    pgbench_row "$SELECT_ONLY_ROW" -S
}

# GET /protected/users/:id as its owner: JWT check, principal (user + session) query, user query.
# protected_user_row NAME [VAR=value...]: GET /protected/users/:id with one user's access token.
protected_user_row() {
    start_portcullis_auth "$BENCH_SETUP_ARGON2_MEMORY_KIB" "$BENCH_SETUP_ARGON2_ITERATIONS" "${@:2}"
    register_bench_user protected
    local url="http://$HOST:$portcullis_port/protected/users/$AUTH_USER_ID" status
    status=$(curl -sS -o "$workdir/protected.json" -w '%{http_code}' \
        -H "Authorization: Bearer $AUTH_ACCESS" "$url") || die "curl GET $url failed"
    [ "$status" = 200 ] || die "GET /protected/users/:id answered $status: $(cat "$workdir/protected.json")"
    measure_row "$1" "$url" "$portcullis_pid" -H "Authorization: Bearer $AUTH_ACCESS"
    stop_portcullis
    delete_bench_users
}

row_portcullis_protected_user() {
    protected_user_row "$PROTECTED_ROW"
}

# The same with EdDSA access tokens (issue #15): each I/O thread verifies the token once and
# remembers it, so the row should stay within 10 % of the HS256 one.
row_portcullis_protected_user_eddsa() {
    local keys="$workdir/eddsa-keys"
    rm -rf "$keys"
    "$PORTCULLIS_BIN" keys generate --dir "$keys" >/dev/null || die "portcullis keys generate failed"
    protected_user_row "$EDDSA_PROTECTED_ROW" JWT_ACCESS_ALGORITHM=EdDSA JWT_SIGNING_KEYS_DIR="$keys"
}

# The answers an attacker drives hardest and that cost no password hash: an access token whose
# signature does not verify (401 JWT_ACCESS_INVALID, no database), and logins of a locked account
# (429 LOGIN_LOCKED, one lockout lookup). Every answer is the error on purpose; the row checks the
# status once with curl and then counts only socket errors.
row_portcullis_invalid_token() {
    start_portcullis_auth "$BENCH_SETUP_ARGON2_MEMORY_KIB" "$BENCH_SETUP_ARGON2_ITERATIONS"
    register_bench_user invalid-token
    # The real token with its signature's first character changed: well formed, never valid.
    local forged="${AUTH_ACCESS%.*}."
    local signature=${AUTH_ACCESS##*.}
    if [ "${signature:0:1}" = A ]; then forged+="B${signature:1}"; else forged+="A${signature:1}"; fi
    local url="http://$HOST:$portcullis_port/auth/sessions" status
    status=$(curl -sS -o "$workdir/invalid-token.json" -w '%{http_code}' \
        -H "Authorization: Bearer $forged" "$url") || die "curl GET $url failed"
    [ "$status" = 401 ] || die "a forged token got $status: $(cat "$workdir/invalid-token.json")"
    WRK_EXPECT_NON2XX=1
    measure_row "$INVALID_TOKEN_ROW" "$url" "$portcullis_pid" -H "Authorization: Bearer $forged"
    WRK_EXPECT_NON2XX=0
    stop_portcullis
    delete_bench_users
}

row_portcullis_locked_login() {
    PORTCULLIS_EXTRA_ENV=(AUTH_ARGON2_MEMORY_KIB="$BENCH_SETUP_ARGON2_MEMORY_KIB"
        AUTH_ARGON2_ITERATIONS="$BENCH_SETUP_ARGON2_ITERATIONS"
        AUTH_LOGIN_MAX_ATTEMPTS=1 AUTH_LOGIN_LOCKOUT_MINUTES=60)
    PORTCULLIS_SERVE_ARGS=(--migrate)
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    PORTCULLIS_SERVE_ARGS=()
    delete_bench_users
    register_bench_user locked
    export PORTCULLIS_BENCH_BODY
    PORTCULLIS_BENCH_BODY=$(printf '{"email":"%s","password":"%s"}' "$AUTH_EMAIL" 'Wrong-Passw0rd!')
    auth_post /auth/login "$PORTCULLIS_BENCH_BODY"
    [ "$HTTP_STATUS" = 401 ] || die "the first wrong login answered $HTTP_STATUS: $HTTP_BODY"
    auth_post /auth/login "$PORTCULLIS_BENCH_BODY"
    [ "$HTTP_STATUS" = 429 ] || die "a locked login answered $HTTP_STATUS: $HTTP_BODY"
    WRK_EXPECT_NON2XX=1
    measure_row "$LOCKED_LOGIN_ROW" "http://$HOST:$portcullis_port/auth/login" "$portcullis_pid" \
        -s "$root/bench/wrk/login.lua"
    WRK_EXPECT_NON2XX=0
    unset PORTCULLIS_BENCH_BODY
    stop_portcullis
    delete_bench_users
}

# Login throughput with security events recorded (issue #16: audit on must keep >= 97 % of audit
# off). Cheap hashes (the setup parameters), so the database work of a login, where an audit write
# would show, is a large part of each request. Two servers run side by side, one with
# AUDIT_EVENTS_ENABLED=false and one with true, and the wrk runs alternate between them (off, on,
# then on, off, ...) so both see the machine in the same state; each row shows its median run.
row_portcullis_login_audit() {
    local runs=$BENCH_AUDIT_RUNS off_pid off_port on_pid on_port
    local base=(AUTH_ARGON2_MEMORY_KIB="$BENCH_SETUP_ARGON2_MEMORY_KIB"
        AUTH_ARGON2_ITERATIONS="$BENCH_SETUP_ARGON2_ITERATIONS")
    PORTCULLIS_SERVE_ARGS=(--migrate)
    PORTCULLIS_EXTRA_ENV=("${base[@]}" AUDIT_EVENTS_ENABLED=false)
    start_portcullis "$BENCH_LOG_LEVEL" "$workdir/portcullis-audit-off.log"
    off_pid=$portcullis_pid off_port=$portcullis_port
    second_portcullis_pid=$off_pid portcullis_pid=""
    PORTCULLIS_EXTRA_ENV=("${base[@]}" AUDIT_EVENTS_ENABLED=true)
    start_portcullis "$BENCH_LOG_LEVEL" "$workdir/portcullis-audit-on.log"
    on_pid=$portcullis_pid on_port=$portcullis_port
    PORTCULLIS_EXTRA_ENV=()
    PORTCULLIS_SERVE_ARGS=()
    delete_bench_users
    register_bench_user audit
    export PORTCULLIS_BENCH_BODY
    PORTCULLIS_BENCH_BODY=$(credentials_json "$AUTH_EMAIL")
    local args=(-t"$BENCH_THREADS" -c"$BENCH_LOGIN_CONNECTIONS" --latency --timeout "$LOGIN_WRK_TIMEOUT"
        -s "$root/bench/wrk/login.lua")
    local which port raw r order off_runs=() on_runs=() off_before on_before
    off_before=$(rss_kb "$off_pid") on_before=$(rss_kb "$on_pid")
    if [ "$BENCH_WARMUP" != "0" ] && [ "$BENCH_WARMUP" != "0s" ]; then
        for port in "$off_port" "$on_port"; do
            run_wrk "$workdir/warmup.txt" "${args[@]}" -d"$BENCH_WARMUP" "http://$HOST:$port/auth/login" ||
                die "wrk warm-up failed: $(cat "$workdir/warmup.txt")"
        done
    fi
    for ((r = 1; r <= runs; r++)); do
        order="off on"
        [ $((r % 2)) = 0 ] && order="on off"
        for which in $order; do
            port=$off_port
            [ "$which" = on ] && port=$on_port
            # The logins wrk left queued on either server are done before the next run starts.
            portcullis_port=$off_port drain_hash_queue
            portcullis_port=$on_port drain_hash_queue
            raw="$workdir/raw/$(slug "login audit $which").run$r.txt"
            run_wrk "$raw" "${args[@]}" -d"$BENCH_DURATION" "http://$HOST:$port/auth/login" ||
                die "wrk failed: $(cat "$raw")"
            if [ "$which" = on ]; then on_runs+=("$(parse_wrk "$raw")"); else off_runs+=("$(parse_wrk "$raw")"); fi
        done
    done
    portcullis_port=$on_port
    local median rps p50 p99 errors all_off all_on
    for which in off on; do
        if [ "$which" = on ]; then
            median=$(printf '%s\n' "${on_runs[@]}" | sort -n -k1,1 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
            errors=$(printf '%s\n' "${on_runs[@]}" | awk '{ s += $4 } END { print s + 0 }')
            read -r rps p50 p99 _ <<<"$median"
            add_row "$AUDIT_ON_ROW" "$rps" "$p50" "$p99" "$(fmt_rss "$on_before")" "$(fmt_rss "$(rss_kb "$on_pid")")" "$errors"
        else
            median=$(printf '%s\n' "${off_runs[@]}" | sort -n -k1,1 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
            errors=$(printf '%s\n' "${off_runs[@]}" | awk '{ s += $4 } END { print s + 0 }')
            read -r rps p50 p99 _ <<<"$median"
            add_row "$AUDIT_OFF_ROW" "$rps" "$p50" "$p99" "$(fmt_rss "$off_before")" "$(fmt_rss "$(rss_kb "$off_pid")")" "$errors"
        fi
    done
    all_off=$(printf '%s\n' "${off_runs[@]}" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }')
    all_on=$(printf '%s\n' "${on_runs[@]}" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }')
    local stored dropped
    sleep 0.5  # the writer stores what is queued every 100 ms
    stored=$(bench_psql -d "$BENCH_DATABASE_URL" \
        -c "SELECT count(*) FROM \"AuditEvent\" WHERE email = '$AUTH_EMAIL'" || echo "?")
    dropped=$(curl -fsS "http://$HOST:$on_port/metrics" |
        awk '/^portcullis_audit_events_dropped_total/ { s += $2 } END { print s + 0 }')
    AUDIT_NOTE="audit cost on logins: on/off req/s of the alternating runs: off $all_off; on $all_on; $stored events stored for the row's user, $dropped dropped"
    unset PORTCULLIS_BENCH_BODY
    stop_portcullis
    stop_pid "$second_portcullis_pid" portcullis
    second_portcullis_pid=""
    delete_bench_users
}

# The ceiling of /auth/refresh: one UPDATE of a random pgbench_accounts row by primary key per
# transaction.
row_pgbench_update_pk() {
    ensure_pgbench_database
    local script="$workdir/update-pk.sql"
    printf '%s\n' '\set aid random(1, 100000)' \
        'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;' >"$script"
    pgbench_row "$UPDATE_PK_ROW" -f "$script"
}

# Fresh sessions for the next wrk run of the refresh row, one per connection plus one per wrk
# thread (bench/wrk/refresh.lua says why): a run cannot reuse the previous run's tokens (those in
# flight when wrk stopped may or may not have been rotated).
REFRESH_TOKENS_FILE=""
prepare_refresh_tokens() {
    local i
    : >"$REFRESH_TOKENS_FILE"
    for ((i = 0; i < BENCH_CONNECTIONS + BENCH_THREADS; i++)); do
        login_bench_user
        echo "$AUTH_REFRESH" >>"$REFRESH_TOKENS_FILE"
    done
}

# POST /auth/refresh: each connection rotates its own session's token chain (bench/wrk/refresh.lua).
# Afterwards the row checks that no chain broke: no non-2xx answers and no revoked session (a
# reused token would have revoked all of the user's sessions).
# refresh_row NAME [VAR=value...]
refresh_row() {
    local name=$1
    start_portcullis_auth "$BENCH_SETUP_ARGON2_MEMORY_KIB" "$BENCH_SETUP_ARGON2_ITERATIONS" "${@:2}"
    register_bench_user refresh
    auth_post /auth/refresh "{\"refreshToken\":\"$AUTH_REFRESH\"}"
    [ "$HTTP_STATUS" = 200 ] || die "POST /auth/refresh answered $HTTP_STATUS: $HTTP_BODY"
    REFRESH_TOKENS_FILE="$workdir/refresh-tokens.txt"
    export PORTCULLIS_BENCH_TOKENS=$REFRESH_TOKENS_FILE PORTCULLIS_BENCH_WRK_THREADS=$BENCH_THREADS
    WRK_PREPARE=prepare_refresh_tokens
    measure_row "$name" "http://$HOST:$portcullis_port/auth/refresh" "$portcullis_pid" \
        -s "$root/bench/wrk/refresh.lua"
    WRK_PREPARE=""
    unset PORTCULLIS_BENCH_TOKENS PORTCULLIS_BENCH_WRK_THREADS
    local revoked chains
    revoked=$(bench_psql -d "$BENCH_DATABASE_URL" \
        -c "SELECT count(*) FROM \"Session\" WHERE \"userId\" = '$AUTH_USER_ID' AND NOT valid" || echo "?")
    chains=$(cat "$workdir/raw/$(slug "$name")"*.txt | sed -n 's/^refresh-chain: //p' | paste -sd ';')
    local note="$name: refresh chains: ${chains:-no summary}; revoked sessions afterwards: $revoked"
    if [ "$WRK_ERRORS" != 0 ] || [ "$revoked" != 0 ]; then
        note="BROKEN $note ($WRK_ERRORS errors): the req/s of this row do not count"
        log "warning: $note"
    fi
    REFRESH_NOTE+="${REFRESH_NOTE:+; }$note"
    stop_portcullis
    delete_bench_users
}

row_portcullis_refresh() {
    refresh_row "$REFRESH_ROW"
}

# The same with the grace window on (issue #15): a rotation stores nothing more (a retry's pair is
# derived from the rotated-out token and the session's rotation time); the row should stay within
# 10 % of the plain one.
row_portcullis_refresh_grace() {
    refresh_row "$GRACE_REFRESH_ROW" AUTH_REFRESH_REUSE_GRACE_SECONDS=10
}

# timing_field NAME LINE: the number after ` NAME=` in a line of bench/login_timing.py's output.
timing_field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# Failed logins, a wrong password against an unknown email: the same answer must also cost the
# same time (no user enumeration through timing). bench/login_timing.py alternates the two on one
# connection, one at a time; the rows show each kind's p50/p99 and the line under the table their
# p50/p90/p99 differences against the 10 % target. The lockout is set out of reach, so every
# attempt takes the same path as a first failure (and no 429 voids the run).
row_portcullis_login_timing() {
    PORTCULLIS_EXTRA_ENV=(AUTH_ARGON2_MEMORY_KIB="$BENCH_ARGON2_MEMORY_KIB"
        AUTH_ARGON2_ITERATIONS="$BENCH_ARGON2_ITERATIONS" AUTH_LOGIN_MAX_ATTEMPTS=1000000000)
    PORTCULLIS_SERVE_ARGS=(--migrate)
    start_portcullis "$BENCH_LOG_LEVEL"
    PORTCULLIS_EXTRA_ENV=()
    PORTCULLIS_SERVE_ARGS=()
    delete_bench_users
    register_bench_user timing
    local raw before after wrong unknown diff verdict
    raw="$workdir/raw/login-timing.txt"
    before=$(rss_kb "$portcullis_pid")
    run_tracked "$raw" /usr/bin/python3 "$root/bench/login_timing.py" --port "$portcullis_port" \
        --email "$AUTH_EMAIL" --unknown-email "bench-unknown-$$-$RANDOM@$BENCH_EMAIL_DOMAIN" \
        --samples "$BENCH_LOGIN_TIMING_SAMPLES" || die "login timing failed: $(cat "$raw")"
    after=$(rss_kb "$portcullis_pid")
    wrong=$(grep '^wrong_password ' "$raw") unknown=$(grep '^unknown_email ' "$raw")
    diff=$(sed -n 's/^diff //p' "$raw") verdict=$(sed -n 's/^verdict=\([^ ]*\).*/\1/p' "$raw")
    [ -n "$wrong" ] && [ -n "$unknown" ] && [ -n "$verdict" ] || die "could not parse $raw: $(cat "$raw")"
    add_row "$WRONG_PASSWORD_ROW" "-" "$(timing_field p50_ms "$wrong")" "$(timing_field p99_ms "$wrong")" \
        "$(fmt_rss "$before")" "$(fmt_rss "$after")" 0
    add_row "$UNKNOWN_EMAIL_ROW" "-" "$(timing_field p50_ms "$unknown")" "$(timing_field p99_ms "$unknown")" \
        "$(fmt_rss "$before")" "$(fmt_rss "$after")" 0
    LOGIN_TIMING_NOTE="failed-login timing, $BENCH_LOGIN_TIMING_SAMPLES of each kind alternating:"
    LOGIN_TIMING_NOTE+=" wrong password p50/p90/p99 $(timing_field p50_ms "$wrong")/$(timing_field p90_ms "$wrong")/$(timing_field p99_ms "$wrong") ms,"
    LOGIN_TIMING_NOTE+=" unknown email $(timing_field p50_ms "$unknown")/$(timing_field p90_ms "$unknown")/$(timing_field p99_ms "$unknown") ms;"
    LOGIN_TIMING_NOTE+=" unknown vs wrong $diff (target: all within 10 %: $([ "$verdict" = within ] && echo met || echo "NOT met"))"
    stop_portcullis
    delete_bench_users
    # The unknown address's failures belong to no user, so the cascade above leaves them.
    bench_psql -d "$BENCH_DATABASE_URL" \
        -c "DELETE FROM \"LoginAttempt\" WHERE \"emailLowercase\" LIKE '%@$BENCH_EMAIL_DOMAIN'" \
        >/dev/null 2>&1 || log "warning: could not delete the login attempts (@$BENCH_EMAIL_DOMAIN)"
}

# ---- micro-benchmarks ---------------------------------------------------------------------------
MICRO_OUTPUT="(skipped: BENCH_MICRO=$BENCH_MICRO)"

run_microbench() {
    if [ ! -x "$MICROBENCH_BIN" ]; then
        MICRO_OUTPUT="(skipped: $MICROBENCH_BIN not built; cmake --build build/release --target portcullis_microbench)"
        return 0
    fi
    # Google Benchmark ≥ 1.8 takes `0.2s`; 1.7 (Debian 12) only a plain number of seconds.
    local min_time="${BENCH_MICRO_MIN_TIME%s}s"
    if ! "$MICROBENCH_BIN" --benchmark_min_time="$min_time" --benchmark_filter='^$' >/dev/null 2>&1; then
        min_time="${BENCH_MICRO_MIN_TIME%s}"
    fi
    log "micro-benchmarks (--benchmark_min_time=$min_time)"
    local out="$workdir/raw/microbench.txt"
    "$MICROBENCH_BIN" --benchmark_min_time="$min_time" \
        --benchmark_out="$workdir/raw/microbench.json" --benchmark_out_format=json \
        >"$out" 2>"$workdir/microbench.stderr" &
    wrk_pid=$!  # same treatment as wrk: stopped by the trap
    local rc=0
    wait "$wrk_pid" || rc=$?
    wrk_pid=""
    [ "$rc" = 0 ] || die "micro-benchmarks failed: $(cat "$workdir/microbench.stderr")"
    # Keep the result table (from the dashed rule on), drop the machine preamble.
    MICRO_OUTPUT=$(awk '/^-+$/ { table = 1 } table' "$out")
}

# ---- report -------------------------------------------------------------------------------------
# Each Portcullis row against its ceiling in the same run (when both ran), with the issue's target
# where there is one.
percent_lines() {
    local ceiling label target i
    for i in "${!ROW_NAMES[@]}"; do
        target=""
        case "${ROW_NAMES[$i]}" in
        "$LOGIN_ROW")
            ceiling=$(rps_of "$ARGON2_ROW") target=95
            label="raw Argon2id hashes/s (libsodium, same parameters, $HASH_THREADS threads)" ;;
        "$PROTECTED_ROW") ceiling=$(rps_of "$SELECT_ONLY_ROW") label="pgbench -S tps" target=60 ;;
        "$REFRESH_ROW") ceiling=$(rps_of "$UPDATE_PK_ROW") label="pgbench UPDATE-by-pk tps" target=50 ;;
        "$EDDSA_PROTECTED_ROW") ceiling=$(rps_of "$PROTECTED_ROW") label="the HS256 row" target=90 ;;
        "$GRACE_REFRESH_ROW") ceiling=$(rps_of "$REFRESH_ROW") label="the row without grace" target=90 ;;
        "$BUSY_HEALTH_ROW" | "$WRONG_PASSWORD_ROW" | "$UNKNOWN_EMAIL_ROW") continue ;;
        "$REDIS_LIMITER_ROW")
            ceiling=$(rps_of "$NO_LIMITER_ROW") label="the same server without a limiter" target=70 ;;
        "portcullis /ready"*) ceiling=$(rps_of "pgbench SELECT 1 (ceiling)") label="pgbench tps" target=70 ;;
        "$POOL_SELECT1_ROW") ceiling=$(rps_of "pgbench SELECT 1 (ceiling)") label="pgbench tps" ;;
        portcullis*) ceiling=$(rps_of "nginx /health (ceiling)") label="nginx req/s" ;;
        *) continue ;;
        esac
        [ "$ceiling" != "-" ] || continue
        awk -v n="${ROW_NAMES[$i]}" -v r="${ROW_RPS[$i]}" -v c="$ceiling" -v l="$label" -v t="$target" '
            BEGIN {
                if (c <= 0) exit
                p = 100 * r / c
                printf "- %s: %.1f %% of %s", n, p, l
                if (t != "") printf " (target >= %d %%: %s)", t, (p >= t ? "met" : "NOT met")
                printf "\n"
            }'
    done
    # /health under login load: its p99 against the issue's 5 ms.
    for i in "${!ROW_NAMES[@]}"; do
        [ "${ROW_NAMES[$i]}" = "$BUSY_HEALTH_ROW" ] || continue
        awk -v n="${ROW_NAMES[$i]}" -v p="${ROW_P99[$i]}" -v note="$BUSY_LOGIN_NOTE" 'BEGIN {
            printf "- %s: p99 %s ms (target <= 5 ms: %s) with %s\n", n, p, (p + 0 <= 5 ? "met" : "NOT met"), note }'
    done
    if [ -n "$REFRESH_NOTE" ]; then echo "- $REFRESH_NOTE"; fi
    # Security events recorded against none (issue #16: >= 97 %).
    local audit_on audit_off
    audit_on=$(rps_of "$AUDIT_ON_ROW")
    audit_off=$(rps_of "$AUDIT_OFF_ROW")
    if [ "$audit_on" != "-" ] && [ "$audit_off" != "-" ]; then
        awk -v on="$audit_on" -v off="$audit_off" 'BEGIN {
            if (off <= 0) exit
            p = 100 * on / off
            printf "- logins with audit events: %.1f %% of audit off (target >= 97 %%: %s)\n", p, (p >= 97 ? "met" : "NOT met") }'
    fi
    if [ -n "$AUDIT_NOTE" ]; then echo "- $AUDIT_NOTE"; fi
    if [ -n "$LOGIN_TIMING_NOTE" ]; then echo "- $LOGIN_TIMING_NOTE"; fi
    # Cost of metrics recording: the main /health row (recording on) against the same row off.
    local on off
    on=$(rps_of "portcullis /health (LOG_LEVEL=$BENCH_LOG_LEVEL)")
    off=$(rps_of "portcullis /health (metrics off)")
    if [ "$on" != "-" ] && [ "$off" != "-" ] && [ "$off" -gt 0 ]; then
        awk -v on="$on" -v off="$off" 'BEGIN {
            printf "- metrics recording cost on /health: %.1f %% (%d req/s on, %d req/s off; target <= 5 %%)\n",
                100 * (off - on) / off, on, off }'
    fi
}

write_report() {
    local report="$RESULTS_DIR/latest.md"
    mkdir -p "$RESULTS_DIR/raw"
    rm -f "$RESULTS_DIR"/raw/*.txt "$RESULTS_DIR"/raw/*.json
    cp "$workdir"/raw/* "$RESULTS_DIR/raw/"
    local cpu sha
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    sha=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
    {
        echo "# Portcullis benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo
        echo "- commit $sha, $(nproc) cores${cpu:+ ($cpu)}, $(uname -sr)"
        echo "- wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d$BENCH_DURATION --latency (warm-up $BENCH_WARMUP, $BENCH_RUNS measured run(s) per row, median shown) on $HOST; wrk shares the cores with the server"
        echo "- portcullis: IO_THREADS=$BENCH_IO_THREADS; nginx: $BENCH_NGINX_WORKERS workers, static body from memory"
        echo "- auth rows: Argon2id m=$BENCH_ARGON2_MEMORY_KIB KiB t=$BENCH_ARGON2_ITERATIONS for the login rows and their ceiling (m=$BENCH_SETUP_ARGON2_MEMORY_KIB t=$BENCH_SETUP_ARGON2_ITERATIONS for the /protected and /refresh servers, which hash only during setup); logins wrk -c$BENCH_LOGIN_CONNECTIONS, /health under logins -c$BENCH_BUSY_HEALTH_CONNECTIONS; pgbench -M prepared -c$BENCH_CONNECTIONS -j$BENCH_THREADS on database $BENCH_PGBENCH_DATABASE"
        echo
        echo "$TABLE_HEADER"
        echo "$TABLE_RULE"
        printf '%s\n' "${ROW_LINES[@]}"
        echo
        percent_lines
        if [ -n "${INFO_LOG_NOTE:-}" ]; then echo "- $INFO_LOG_NOTE"; fi
        if [ "${#RUN_NOTES[@]}" -gt 0 ]; then printf -- '- %s\n' "${RUN_NOTES[@]}"; fi
        echo
        echo "## Micro-benchmarks"
        echo
        echo '```'
        echo "$MICRO_OUTPUT"
        echo '```'
        echo
        echo "Raw wrk and Google Benchmark output: bench/results/raw/."
    } >"$report"
    cat "$report"
    log "written to ${report#"$root"/}"
}

main() {
    command -v wrk >/dev/null || die "wrk is not installed"
    command -v curl >/dev/null || die "curl is not installed"
    [ -x "$NGINX_BIN" ] || die "nginx not found ($NGINX_BIN)"
    [ -x "$PORTCULLIS_BIN" ] || die "$PORTCULLIS_BIN is not built (make build)"
    [[ "$BENCH_RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
    local r
    for r in $BENCH_ROWS; do
        [ "$(type -t "row_$r")" = function ] || die "unknown row '$r' in BENCH_ROWS"
    done
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
    mkdir -p "$workdir/raw"

    log "wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d$BENCH_DURATION (warm-up $BENCH_WARMUP)"
    local row
    for row in $BENCH_ROWS; do
        if [ "$row" = portcullis_health_info_log ] && [ "$BENCH_INFO_ROW" != 1 ]; then continue; fi
        "row_$row"
    done
    if [ "$BENCH_MICRO" = 1 ]; then run_microbench; fi
    write_report
}

main "$@"
