#!/usr/bin/env bash
# A private local stack under .local/: PostgreSQL 15, Redis 7 (password set) and an SMTP sink
# (aiosmtpd writing a Maildir), each on a free loopback port.
#   scripts/stack.sh start   start what is not running; print the environment to use
#   scripts/stack.sh stop    stop everything
#   scripts/stack.sh env     print the environment (export lines) of the running stack
#   scripts/stack.sh status  show what runs
# The environment is also written to .local/stack.env for `make run` and `make test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
local_dir="$root/.local"
env_file="$local_dir/stack.env"
pg_bin=/usr/lib/postgresql/15/bin
db_user=portcullis
db_name=portcullis
db_password=portcullis-local-db
redis_password=portcullis-local-redis

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Postgres refuses to run as root: run its tools as the `postgres` system user in that case.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

read_port() { [ -f "$1" ] && cat "$1" || true; }

pg_running() { [ -f "$local_dir/pg/data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$local_dir/pg/data" status >/dev/null 2>&1; }
redis_running() { [ -f "$local_dir/redis/redis.pid" ] && kill -0 "$(cat "$local_dir/redis/redis.pid")" 2>/dev/null; }
smtp_running() { [ -f "$local_dir/smtp/smtp.pid" ] && kill -0 "$(cat "$local_dir/smtp/smtp.pid")" 2>/dev/null; }

wait_for_port() {  # host port seconds
    local deadline=$((SECONDS + $3))
    until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

start_postgres() {
    mkdir -p "$local_dir/pg"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$local_dir/pg"; fi
    if [ ! -f "$local_dir/pg/data/PG_VERSION" ]; then
        local pwfile="$local_dir/pg/pwfile"
        printf '%s\n' "$db_password" >"$pwfile"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pwfile"
        as_pg "$pg_bin/initdb" -D "$local_dir/pg/data" -U "$db_user" --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
    fi
    if ! pg_running; then
        local port
        port=$(free_port)
        echo "$port" >"$local_dir/pg/port"
        as_pg "$pg_bin/pg_ctl" -D "$local_dir/pg/data" -l "$local_dir/pg/server.log" -w -t 60 \
            -o "-p $port -k $local_dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null
    fi
    local port
    port=$(read_port "$local_dir/pg/port")
    if ! as_pg "$pg_bin/../bin/psql" -h "$local_dir/pg" -p "$port" -U "$db_user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$db_name'" | grep -q 1; then
        as_pg "$pg_bin/../bin/psql" -h "$local_dir/pg" -p "$port" -U "$db_user" -d postgres -qc \
            "CREATE DATABASE $db_name" >/dev/null
    fi
}

start_redis() {
    mkdir -p "$local_dir/redis"
    if ! redis_running; then
        local port
        port=$(free_port)
        echo "$port" >"$local_dir/redis/port"
        redis-server --port "$port" --bind 127.0.0.1 --requirepass "$redis_password" \
            --daemonize yes --dir "$local_dir/redis" --pidfile "$local_dir/redis/redis.pid" \
            --logfile "$local_dir/redis/redis.log" --save "" --appendonly no >/dev/null
        wait_for_port 127.0.0.1 "$port" 20
    fi
}

start_smtp() {
    # aiosmtpd's Mailbox handler needs a complete Maildir (tmp, new, cur) to deliver into.
    mkdir -p "$local_dir/smtp/maildir/tmp" "$local_dir/smtp/maildir/new" "$local_dir/smtp/maildir/cur"
    if ! smtp_running; then
        local port
        port=$(free_port)
        echo "$port" >"$local_dir/smtp/port"
        nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" \
            -c aiosmtpd.handlers.Mailbox "$local_dir/smtp/maildir" \
            >"$local_dir/smtp/smtp.log" 2>&1 &
        echo $! >"$local_dir/smtp/smtp.pid"
        wait_for_port 127.0.0.1 "$port" 20
    fi
}

print_env() {
    local pg_port redis_port smtp_port
    pg_port=$(read_port "$local_dir/pg/port")
    redis_port=$(read_port "$local_dir/redis/port")
    smtp_port=$(read_port "$local_dir/smtp/port")
    cat <<ENV
export PORTCULLIS_TEST_DATABASE_URL='postgresql://$db_user:$db_password@127.0.0.1:$pg_port/$db_name'
export PORTCULLIS_TEST_PG_ADMIN_URL='postgresql://$db_user:$db_password@127.0.0.1:$pg_port/postgres'
export PORTCULLIS_TEST_PG_BIN='$pg_bin'
export PORTCULLIS_TEST_PG_DATA='$local_dir/pg/data'
export PORTCULLIS_TEST_REDIS_URL='redis://:$redis_password@127.0.0.1:$redis_port/0'
export PORTCULLIS_TEST_SMTP_HOST='127.0.0.1'
export PORTCULLIS_TEST_SMTP_PORT='$smtp_port'
export PORTCULLIS_TEST_MAILDIR='$local_dir/smtp/maildir'
ENV
}

case "${1:-start}" in
    start)
        mkdir -p "$local_dir"
        start_postgres
        start_redis
        start_smtp
        print_env >"$env_file"
        cat "$env_file"
        ;;
    stop)
        if pg_running; then as_pg "$pg_bin/pg_ctl" -D "$local_dir/pg/data" -m fast -w stop >/dev/null || true; fi
        # Wait until they are gone: a `start` right after must not find them still exiting.
        for pidfile in "$local_dir/redis/redis.pid" "$local_dir/smtp/smtp.pid"; do
            [ -f "$pidfile" ] || continue
            pid=$(cat "$pidfile")
            if kill "$pid" 2>/dev/null; then
                for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
            fi
            rm -f "$pidfile"
        done
        rm -f "$env_file"
        ;;
    env) print_env ;;
    status)
        pg_running && echo "postgres: running on $(read_port "$local_dir/pg/port")" || echo "postgres: stopped"
        redis_running && echo "redis: running on $(read_port "$local_dir/redis/port")" || echo "redis: stopped"
        smtp_running && echo "smtp: running on $(read_port "$local_dir/smtp/port")" || echo "smtp: stopped"
        ;;
    *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
