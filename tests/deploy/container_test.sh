#!/usr/bin/env bash
# `make test-container`: runs the image as shipped against the local stack and checks what an
# operator relies on (issue #14): read-only root filesystem, non-root user, migrations applied on
# start, probes, register + login, the HEALTHCHECK command, email through SMTP (libcurl present),
# `user set-role` through `podman exec`, `migrate deploy` with only DATABASE_URL, and a graceful
# stop: SIGTERM reaches PID 1 and the process exits 0 within SHUTDOWN_TIMEOUT_MS.
# Fails (non-zero) at the first failed check; containers and databases are removed on any exit.
# The last line is "container: N passed, M failed".
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
image=${PORTCULLIS_IMAGE:-localhost/portcullis:local}
shutdown_timeout_ms=10000
run_id="$$-$RANDOM"
name="portcullis-test-$run_id"
started=$SECONDS
passed=0
failed=0
step_no=0
databases=()

pm() { "$root/scripts/container.sh" podman "$@"; }
# Every container of this test: host network (the stack listens on 127.0.0.1), explicit ulimits.
pm_run() { pm run --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"; }

step() {
    step_no=$((step_no + 1))
    printf '[container-test] step %d: %s\n' "$step_no" "$*"
}
ok() {
    passed=$((passed + 1))
    printf '[container-test]   ok: %s\n' "$*"
}
fail() {
    failed=$((failed + 1))
    printf '[container-test]   FAILED: %s\n' "$*" >&2
    exit 1
}
expect_eq() {  # what expected actual
    [ "$2" = "$3" ] && ok "$1" || fail "$1: expected '$2', got '$3'"
}

cleanup() {
    local rc=$?
    if pm container exists "$name" 2>/dev/null; then
        if [ $rc -ne 0 ]; then
            echo "[container-test] last log lines of $name:" >&2
            pm logs --tail 15 "$name" 2>&1 | cut -c1-400 >&2 || true
        fi
        pm rm -f -t 0 "$name" >/dev/null 2>&1 || true
    fi
    for db in "${databases[@]}"; do
        psql "$PORTCULLIS_TEST_PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    printf '[container-test] %d s\n' "$((SECONDS - started))"
    [ $rc -ne 0 ] && [ $failed -eq 0 ] && failed=1
    printf 'container: %d passed, %d failed\n' "$passed" "$failed"
    exit $rc
}
trap cleanup EXIT

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
new_database() {  # name -> prints its URL
    psql "$PORTCULLIS_TEST_PG_ADMIN_URL" -qAtc "CREATE DATABASE $1" >/dev/null
    databases+=("$1")
    echo "${PORTCULLIS_TEST_DATABASE_URL%/*}/$1"
}
applied_migrations() {  # url
    psql "$1" -qAtc 'SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL'
}

step "local stack (Postgres, Redis, SMTP sink on 127.0.0.1)"
scripts/stack.sh start >/dev/null
# shellcheck disable=SC1091
. .local/stack.env
ok "stack running"

step "image metadata: $image"
pm image exists "$image" || fail "image $image not found (scripts/container.sh image)"
expect_eq "runs as the fixed non-root user" "10001:10001" "$(pm image inspect --format '{{.Config.User}}' "$image")"
expect_eq "entrypoint is the binary itself (no shell)" "[portcullis]" "$(pm image inspect --format '{{.Config.Entrypoint}}' "$image")"
expect_eq "default command migrates, then serves" "[serve --migrate]" "$(pm image inspect --format '{{.Config.Cmd}}' "$image")"
expect_eq "HEALTHCHECK runs the healthcheck subcommand" "[CMD portcullis healthcheck --timeout-ms 2000]" \
    "$(pm image inspect --format '{{.HealthCheck.Test}}' "$image")"
pm image inspect --format '{{json .Config.ExposedPorts}}' "$image" | grep -q '"3000/tcp"' && ok "exposes 3000" || fail "port 3000 not exposed"
size=$(pm image inspect --format '{{.Size}}' "$image")
ok "image size $((size / 1024 / 1024)) MiB ($size bytes)"

step "runtime libraries inside the image"
missing=$(pm_run --rm --entrypoint ldd "$image" /usr/local/bin/portcullis | grep 'not found' || true)
expect_eq "every linked library resolves" "" "$missing"
pm_run --rm --entrypoint /sbin/ldconfig "$image" -p | grep -q 'libcurl.so.4 ' && ok "libcurl.so.4 (dlopen'ed for SMTP) present" || fail "libcurl.so.4 missing"
if pm_run --rm --entrypoint /bin/sh "$image" -c 'command -v curl || command -v wget' >/dev/null; then
    fail "the image carries curl or wget"
fi
ok "no curl or wget in the image"

port=$(free_port)
db_url=$(new_database "portcullis_container_$$")
access_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
refresh_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
env_args=(
    -e NODE_ENV=production -e "PORT=$port" -e "DATABASE_URL=$db_url"
    -e "RATE_LIMIT_REDIS_URL=${PORTCULLIS_TEST_REDIS_URL%/*}/8"
    -e "JWT_ACCESS_SECRET=$access_secret" -e "JWT_REFRESH_SECRET=$refresh_secret"
    -e CORS_ORIGINS=https://app.example.com
    -e "SMTP_HOST=$PORTCULLIS_TEST_SMTP_HOST" -e "SMTP_PORT=$PORTCULLIS_TEST_SMTP_PORT"
    -e "SMTP_FROM=Portcullis <no-reply@example.com>" -e EMAIL_OUTBOX_POLL_INTERVAL_MS=200
    # Other suites share this Redis (hence database 8) and this client address: limits high
    # enough for this test.
    -e RATE_LIMIT_RPM=100000 -e RATE_LIMIT_RPM_AUTH=100000
    -e RATE_LIMIT_RPM_AUTH_REGISTER=100 -e RATE_LIMIT_RPM_AUTH_PASSWORD_RESET=100
    -e "SHUTDOWN_TIMEOUT_MS=$shutdown_timeout_ms"
)

step "check-config inside the image"
out=$(pm_run --rm "${env_args[@]}" "$image" check-config)
expect_eq "production settings accepted" "configuration ok" "$out"

step "start: read-only root filesystem, no capabilities, default command (serve --migrate)"
pm_run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges \
    --health-interval disable "${env_args[@]}" "$image" >/dev/null
deadline=$((SECONDS + 60))
until [ "$(http_code "http://127.0.0.1:$port/ready")" = 200 ]; do
    [ "$(pm inspect --format '{{.State.Running}}' "$name")" = true ] || fail "container exited before ready"
    [ $SECONDS -lt $deadline ] || fail "/ready not 200 within 60 s"
    sleep 0.2
done
ok "/ready answered 200 after $((SECONDS - deadline + 60)) s"
host_pid=$(pm inspect --format '{{.State.Pid}}' "$name")
expect_eq "PID 1 in the container is the server" "portcullis serve --migrate" \
    "$(pm exec "$name" cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
expect_eq "runs as UID 10001" "10001" "$(awk '/^Uid:/ {print $2}' "/proc/$host_pid/status")"
rss_idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$host_pid/status")

step "migrations applied on start"
expected=$(find src/db/migrations -mindepth 1 -maxdepth 1 -type d | wc -l)
expect_eq "_prisma_migrations rows" "$expected" "$(applied_migrations "$db_url")"

step "probes and build metadata"
expect_eq "/health" 200 "$(http_code "http://127.0.0.1:$port/health")"
expect_eq "/ready" 200 "$(http_code "http://127.0.0.1:$port/ready")"
version_json=$(curl -s --max-time 5 "http://127.0.0.1:$port/version")
for field in version:org.opencontainers.image.version gitSha:org.opencontainers.image.revision \
    buildTime:org.opencontainers.image.created; do
    label=$(pm image inspect --format "{{index .Labels \"${field#*:}\"}}" "$image")
    expect_eq "/version ${field%%:*} = build argument" "$label" "$(echo "$version_json" | json_field "${field%%:*}")"
done

step "register and login"
email="container-$run_id@example.com"
password="Container-test-9-pass"
client=(-H 'Content-Type: application/json' -H "X-Forwarded-For: 198.51.100.$((RANDOM % 250 + 1))")
body=$(printf '{"email":"%s","password":"%s"}' "$email" "$password")
expect_eq "POST /auth/register" 201 "$(http_code -X POST "${client[@]}" -d "$body" "http://127.0.0.1:$port/auth/register")"
login=$(curl -s --max-time 10 -X POST "${client[@]}" -d "$body" "http://127.0.0.1:$port/auth/login")
token=$(echo "$login" | json_field accessToken) || fail "login did not return tokens: $login"
ok "POST /auth/login returned an access token"
rss_load=$(awk '/^VmRSS:/ {print $2}' "/proc/$host_pid/status")

step "email through SMTP (the outbox sender dlopens libcurl)"
maildir=$PORTCULLIS_TEST_MAILDIR/new
expect_eq "POST /auth/request-password-reset" 202 \
    "$(http_code -X POST "${client[@]}" -d "{\"email\":\"$email\"}" "http://127.0.0.1:$port/auth/request-password-reset")"
deadline=$((SECONDS + 20))
until grep -lqsF "To: $email" "$maildir"/* 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no reset email for $email reached the SMTP sink in 20 s"
    sleep 0.2
done
ok "reset email delivered to the SMTP sink"

step "HEALTHCHECK"
pm healthcheck run "$name" >/dev/null && ok "podman healthcheck run: healthy" || fail "podman healthcheck run failed"
pm exec "$name" portcullis healthcheck >/dev/null && ok "portcullis healthcheck exits 0" || fail "healthcheck exit non-zero"
if err=$(pm exec "$name" portcullis healthcheck --port 1 --timeout-ms 500 2>&1); then
    fail "healthcheck against a closed port exited 0"
fi
[ -n "$err" ] && ok "healthcheck against a closed port exits 1 ($err)" || fail "healthcheck gave no reason"

step "user set-role through podman exec"
out=$(pm exec "$name" portcullis user set-role --email "$email" --role ADMIN)
echo "$out" | grep -Eq "^\[user:set-role\] updated [0-9a-f-]{36} \($email\): USER -> ADMIN$" &&
    ok "$out" || fail "unexpected set-role output: $out"
expect_eq "GET /protected/admin/ping as the new admin" 200 \
    "$(http_code -H "Authorization: Bearer $token" "http://127.0.0.1:$port/protected/admin/ping")"

step "nothing written to the filesystem"
if pm exec "$name" sh -c 'touch /app/probe' 2>/dev/null; then fail "root filesystem is writable"; fi
ok "root filesystem is read-only"
expect_eq "/tmp is still empty" "" "$(pm exec "$name" find /tmp /var/tmp -mindepth 1)"

step "podman stop: SIGTERM to PID 1, graceful shutdown"
stop_started=$(date +%s%N)
pm stop -t 30 "$name" >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
[ $stop_ms -lt $shutdown_timeout_ms ] && ok "stopped in $stop_ms ms (< SHUTDOWN_TIMEOUT_MS $shutdown_timeout_ms)" ||
    fail "stop took $stop_ms ms"
expect_eq "exit code" 0 "$(pm inspect --format '{{.State.ExitCode}}' "$name")"
logs=$(pm logs "$name" 2>&1)
for line in '"signal":"SIGTERM","msg":"Received signal, beginning graceful shutdown"' \
    '"msg":"HTTP server closed"' '"msg":"Database disconnected successfully"'; do
    echo "$logs" | grep -qF "$line" && ok "log: $line" || fail "log line missing: $line"
done

step "migrate deploy with only DATABASE_URL (the Kubernetes init container)"
db2_url=$(new_database "portcullis_container_migrate_$$")
out=$(pm_run --rm --read-only -e "DATABASE_URL=$db2_url" "$image" migrate deploy 2>&1) ||
    fail "migrate deploy failed: $(tail -c 600 <<<"$out")"
expect_eq "_prisma_migrations rows" "$expected" "$(applied_migrations "$db2_url")"

printf '[container-test] RSS of PID 1: %d KiB after start, %d KiB after register + login\n' \
    "$rss_idle" "$rss_load"
