#!/usr/bin/env bash
# The SMTP sink down for a time-compressed outage (20 s, retries every 0.2-1 s instead of
# minutes) while a backlog of password-reset emails builds up under load: the requests still
# answer 202 at once (decisions B.10, C.2: the outbox), nothing is lost, and when the sink returns
# the backlog drains with each email sent once. Prints one table row.
. "$(dirname "$0")/lib.sh"
down=${CHAOS_SMTP_DOWN_SECONDS:-20}
backlog=${CHAOS_SMTP_BACKLOG:-50}
print_header
maildir="$scratch/maildir"
mkdir -p "$maildir/tmp" "$maildir/new" "$maildir/cur"
smtp_port=$(free_port)
smtp_pid=""
smtp_start() {
    /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$maildir" \
        >>"$scratch/smtp.log" 2>&1 &
    smtp_pid=$!
    pids+=("$smtp_pid")
    until (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; do sleep 0.05; done
}
smtp_start
pg_start_private
app_start DATABASE_URL="$(pg_url)" SMTP_HOST=127.0.0.1 SMTP_PORT="$smtp_port" \
    SMTP_FROM="Portcullis <no-reply@example.com>" EMAIL_OUTBOX_POLL_INTERVAL_MS=200 \
    EMAIL_OUTBOX_RETRY_BASE_MS=200 EMAIL_OUTBOX_RETRY_MAX_MS=1000 EMAIL_OUTBOX_MAX_ATTEMPTS=1000
run_id=$RANDOM$RANDOM
for i in $(seq 1 "$backlog"); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"outage-$run_id-$i@example.com\",\"password\":\"Outage-pass-1234\"}" \
        "http://127.0.0.1:$app_port/auth/register"
done
probe_run "$app_port"
load_run "$app_port" $((down + 12))
sleep 3
fault_start=$(now_ms)
kill -KILL "$smtp_pid"; wait "$smtp_pid" 2>/dev/null || true
accepted=0
for i in $(seq 1 "$backlog"); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"outage-$run_id-$i@example.com\"}" \
        "http://127.0.0.1:$app_port/auth/request-password-reset")
    [ "$status" = 202 ] && accepted=$((accepted + 1))
done
sleep "$down"
smtp_start
fault_end=$(now_ms)
delivered_at=""
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
    count=$( (grep -rhs "^X-RcptTo: outage-$run_id-" "$maildir/new" "$maildir/cur" || true) | sort -u | wc -l)
    if [ "$count" -ge "$backlog" ]; then delivered_at=$(now_ms); break; fi
    sleep 0.1
done
load_wait
probe_stop
sleep 2  # several more outbox polls: a duplicate would show now
recipients() { grep -rhs "^X-RcptTo: outage-$run_id-" "$maildir/new" "$maildir/cur" || true; }
total=$(recipients | wc -l)
unique=$(recipients | sort -u | wc -l)
drain="never"
[ -n "$delivered_at" ] && drain="$((delivered_at - fault_end)) ms"
figures "SMTP sink down ($accepted/$backlog resets answered 202; backlog of $unique delivered $drain after it returned, $((total - unique)) duplicates)" \
    "outbox retry 0.2-1 s" "$fault_start" "$fault_end"
