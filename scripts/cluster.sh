#!/usr/bin/env bash
# A local cluster (issue #17): N replicas of the release binary on their own loopback ports, sharing
# one Postgres and one Redis, behind HAProxy with active health checks on GET /ready, so a replica
# that is draining or not ready leaves rotation as it would behind a Kubernetes readiness probe.
#
#   scripts/cluster.sh up              migrate, start the replicas and HAProxy, print the address
#   scripts/cluster.sh down            stop everything (HAProxy, then the replicas)
#   scripts/cluster.sh status          each replica's pid, port and /ready, HAProxy's view of them
#   scripts/cluster.sh roll            rolling restart: each replica in turn gets SIGTERM, drains and
#                                      exits, a new process starts on its port and turns ready, and
#                                      HAProxy has it back in rotation before the next one goes
#   scripts/cluster.sh stop I | start I | kill I   one replica (1-based): SIGTERM and wait / start /
#                                      SIGKILL
#   scripts/cluster.sh env             the balancer's address as export lines
#
# Knobs (environment):
#   CLUSTER_DIR          state folder (default .local/cluster)
#   CLUSTER_REPLICAS     number of replicas (default 3)
#   CLUSTER_MODE         tcp (default): HAProxy as an L4 balancer (a Kubernetes Service, a cloud NLB):
#                        a client's keep-alive connection stays on one replica and nothing is
#                        retried. http: HAProxy as an L7 proxy adding X-Forwarded-For (the
#                        replicas get TRUST_PROXY=loopback) and retrying idempotent requests.
#   CLUSTER_PORT         the balancer's port (default: a free one)
#   CLUSTER_ENV_FILE     KEY=VALUE lines given to every replica (default: the local stack's Postgres,
#                        Redis and SMTP sink from .local/stack.env, started if needed)
#   CLUSTER_SHUTDOWN_DELAY_MS  the replicas' SHUTDOWN_DELAY_MS (default 2000: several health checks)
#   CLUSTER_CHECK_INTER_MS     HAProxy's check interval (default 200; fall 2, rise 2)
#   PORTCULLIS_BIN       the binary (default build/release/src/portcullis)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CLUSTER_DIR:-$root/.local/cluster}
replicas=${CLUSTER_REPLICAS:-3}
mode=${CLUSTER_MODE:-tcp}
bin=${PORTCULLIS_BIN:-$root/build/release/src/portcullis}
bin=$(realpath -m "$bin")  # the replicas run in their own folders
delay_ms=${CLUSTER_SHUTDOWN_DELAY_MS:-2000}
inter_ms=${CLUSTER_CHECK_INTER_MS:-200}
haproxy_bin=${HAPROXY_BIN:-$(command -v haproxy || echo /usr/sbin/haproxy)}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# HTTP status of GET URL, or 000 when nothing answered within a second.
http_status() { curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" 2>/dev/null || true; }

# One command on HAProxy's admin socket.
haproxy_cmd() {
    /usr/bin/python3 - "$dir/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode())
PY
}

# HAProxy's status of server rI (UP, DOWN, ...), empty when unknown.
backend_status() {
    haproxy_cmd "show stat" 2>/dev/null | awk -F, -v name="r$1" '$1 == "portcullis" && $2 == name { print $18 }'
}

replica_port() { cat "$dir/replica-$1/port"; }
replica_pid() { cat "$dir/replica-$1/pid" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

write_default_env() {
    "$root/scripts/stack.sh" start >/dev/null
    # shellcheck disable=SC1091
    . "$root/.local/stack.env"
    cat >"$dir/replica.env" <<ENV
APP_ENV=development
DATABASE_URL=$PORTCULLIS_TEST_DATABASE_URL
RATE_LIMIT_REDIS_URL=$PORTCULLIS_TEST_REDIS_URL
SMTP_HOST=$PORTCULLIS_TEST_SMTP_HOST
SMTP_PORT=$PORTCULLIS_TEST_SMTP_PORT
SMTP_FROM=Portcullis <no-reply@example.com>
JWT_ACCESS_SECRET=cluster-access-secret-0123456789abcdef-0123456789
JWT_REFRESH_SECRET=cluster-refresh-secret-fedcba9876543210-fedcba98
LOG_LEVEL=info
IO_THREADS=1
# Every client reaches the replicas from the balancer's address (TCP mode) or loopback: limits
# that a load generator on this machine does not reach.
RATE_LIMIT_RPM=100000000
RATE_LIMIT_RPM_AUTH=100000000
RATE_LIMIT_RPM_AUTH_REGISTER=100000000
RATE_LIMIT_RPM_AUTH_PASSWORD_RESET=100000000
# Cheaper hashes than production's, so that logins do not starve two cores.
AUTH_ARGON2_MEMORY_KIB=8192
AUTH_ARGON2_ITERATIONS=1
ENV
}

# The replicas' environment, one KEY=VALUE per array item, into the array `envs`.
replica_env() {
    envs=(PATH=/usr/sbin:/usr/bin:/sbin:/bin SHUTDOWN_DELAY_MS="$delay_ms")
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] || [ "${line:0:1}" = "#" ] || envs+=("$line")
    done <"$dir/replica.env"
    if [ "$mode" = http ]; then envs+=(TRUST_PROXY=loopback); fi
    for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        if [ -n "${!name:-}" ]; then envs+=("$name=${!name}"); fi
    done
}

# start_replica I: a new process on replica I's port; returns when /ready answers 200.
start_replica() {
    local i=$1 rdir="$dir/replica-$1" port
    port=$(replica_port "$i")
    local -a envs
    replica_env
    envs+=(PORT="$port")
    # Its own session, so that a signal meant for the caller does not reach it; every descriptor
    # redirected, so that nothing waiting for this script's output waits for the replica too.
    rm -f "$rdir/pid"
    (cd "$rdir" && exec setsid bash -c 'echo $$ >pid; exec "$@"' _ env -i "${envs[@]}" "$bin" serve) \
        >>"$rdir/output.log" 2>&1 </dev/null &
    until [ -s "$rdir/pid" ]; do sleep 0.01; done
    local deadline=$((SECONDS + 60))
    until [ "$(http_status "http://127.0.0.1:$port/ready")" = 200 ]; do
        if ! alive "$(replica_pid "$i")" || [ $SECONDS -ge $deadline ]; then
            echo "cluster: replica $i did not turn ready; its log:" >&2
            tail -n 20 "$rdir/output.log" >&2
            return 1
        fi
        sleep 0.05
    done
}

# stop_replica I: SIGTERM, then wait for the exit (drain included); prints the exit code.
stop_replica() {
    local pid
    pid=$(replica_pid "$1")
    alive "$pid" || return 0
    kill -TERM "$pid"
    local deadline=$((SECONDS + delay_ms / 1000 + 20))
    while alive "$pid"; do
        if [ $SECONDS -ge $deadline ]; then
            echo "cluster: replica $1 did not exit; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 0.05
    done
}

wait_backend() {  # I STATUS: until HAProxy reports server rI in STATUS
    local deadline=$((SECONDS + 30))
    until [ "$(backend_status "$1")" = "$2" ]; do
        if [ $SECONDS -ge $deadline ]; then
            echo "cluster: HAProxy never saw replica $1 $2" >&2
            return 1
        fi
        sleep 0.05
    done
}

write_haproxy_config() {
    local port=$1
    {
        cat <<CFG
global
    maxconn 4000
    pidfile $dir/haproxy.pid
    stats socket $dir/haproxy.sock mode 600 level admin

defaults
    mode $mode
    timeout connect 2s
    timeout client 60s
    timeout server 60s
CFG
        if [ "$mode" = tcp ]; then
            # An L4 balancer: nothing is retried, a reset reaches the client.
            echo "    retries 0"
        else
            cat <<CFG
    option forwardfor
    option http-keep-alive
    timeout http-keep-alive 10s
    http-reuse safe
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout
CFG
        fi
        cat <<CFG

frontend portcullis_in
    bind 127.0.0.1:$port
    default_backend portcullis

backend portcullis
    balance roundrobin
    option httpchk
    http-check send meth GET uri /ready ver HTTP/1.1 hdr Host portcullis
    http-check expect status 200
    default-server check inter ${inter_ms}ms fall 2 rise 2
CFG
        for i in $(seq 1 "$replicas"); do
            echo "    server r$i 127.0.0.1:$(replica_port "$i")"
        done
    } >"$dir/haproxy.cfg"
}

up() {
    [ -x "$bin" ] || { echo "cluster: $bin not built (scripts/build.sh release)" >&2; exit 1; }
    command -v "$haproxy_bin" >/dev/null || { echo "cluster: haproxy missing (scripts/install-deps.sh)" >&2; exit 1; }
    if [ -f "$dir/haproxy.pid" ] && alive "$(cat "$dir/haproxy.pid")"; then
        echo "cluster: already up (scripts/cluster.sh down first)" >&2
        exit 1
    fi
    mkdir -p "$dir"
    if [ -n "${CLUSTER_ENV_FILE:-}" ]; then
        cp "$CLUSTER_ENV_FILE" "$dir/replica.env"
    else
        write_default_env
    fi
    # One migration step before the replicas, as a deployment runs it.
    local -a envs
    replica_env
    env -i "${envs[@]}" "$bin" migrate deploy >"$dir/migrate.log" 2>&1 ||
        { echo "cluster: migrate deploy failed:" >&2; cat "$dir/migrate.log" >&2; exit 1; }
    local port=${CLUSTER_PORT:-$(free_port)}
    echo "$port" >"$dir/port"
    echo "$mode" >"$dir/mode"
    for i in $(seq 1 "$replicas"); do
        mkdir -p "$dir/replica-$i"
        [ -f "$dir/replica-$i/port" ] || free_port >"$dir/replica-$i/port"
    done
    for i in $(seq 1 "$replicas"); do start_replica "$i"; done
    write_haproxy_config "$port"
    "$haproxy_bin" -f "$dir/haproxy.cfg" -D >"$dir/haproxy.log" 2>&1 </dev/null ||
        { cat "$dir/haproxy.log" >&2; exit 1; }
    for i in $(seq 1 "$replicas"); do wait_backend "$i" UP; done
    echo "cluster: $replicas replicas behind haproxy ($mode) on 127.0.0.1:$port"
}

down() {
    if [ -f "$dir/haproxy.pid" ]; then
        local pid
        pid=$(cat "$dir/haproxy.pid")
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
        fi
        rm -f "$dir/haproxy.pid"
    fi
    # Every replica gets SIGTERM at once; then each is waited for (its drain included).
    local -a pids=()
    for rdir in "$dir"/replica-*; do
        [ -d "$rdir" ] || continue
        local pid
        pid=$(cat "$rdir/pid" 2>/dev/null || true)
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
        rm -f "$rdir/pid"
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 600); do alive "$pid" || break; sleep 0.05; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}

status() {
    [ -f "$dir/port" ] || { echo "cluster: not up"; return 0; }
    echo "balancer: 127.0.0.1:$(cat "$dir/port") ($(cat "$dir/mode"))"
    for rdir in "$dir"/replica-*; do
        local i=${rdir##*-} port pid
        port=$(replica_port "$i")
        pid=$(replica_pid "$i")
        alive "$pid" || pid="-"
        printf 'replica %s: pid %s port %s /ready %s haproxy %s\n' "$i" "$pid" "$port" \
            "$(http_status "http://127.0.0.1:$port/ready")" "$(backend_status "$i" || true)"
    done
}

roll() {
    for i in $(seq 1 "$replicas"); do
        local started=$SECONDS
        stop_replica "$i"
        start_replica "$i"
        wait_backend "$i" UP
        echo "cluster: replica $i replaced in $((SECONDS - started)) s"
    done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    roll) roll ;;
    stop) stop_replica "$2" ;;
    start) start_replica "$2" && wait_backend "$2" UP ;;
    kill) kill -KILL "$(replica_pid "$2")" ;;
    env) echo "export PORTCULLIS_CLUSTER_URL='http://127.0.0.1:$(cat "$dir/port")'" ;;
    *) echo "usage: $0 up|down|status|roll|stop I|start I|kill I|env" >&2; exit 2 ;;
esac
