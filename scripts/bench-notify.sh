#!/usr/bin/env bash
# Notifications benchmark, two figures, against a local stand-in for GOV.UK Notify (webhook-sink,
# which checks every request's JWT as Notify does):
#  1. messages sent per second: N reports with a reporter's email are written as intake writes
#     them (the database queues each one's report_received message in the same statement), then
#     the release worker sends them (WORKER_BATCH_SIZE 200 and WORKER_LANES 4, as the dispatch
#     benchmark runs it; BENCH_BATCH / BENCH_LANES change them); timed from the worker's start
#     until the last message's job is done. BENCH_PGSS=1 also prints the statements' times from
#     pg_stat_statements (when the server preloads it). Beside it, the stand-in's own ceiling:
#     wrk POSTing the same request with a valid token.
#  2. delay from a back-office status change to the reporter's email request at the stand-in:
#     status changes through the API at a steady rate while the worker runs with every setting at
#     its default (WORKER_POLL_INTERVAL 1 s); each delay is from just before the API call to the
#     message's arrival.
# Figures, not pass/fail: the targets are in the README.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
SINK_BIN=${SINK_BIN:-.build/release/webhook-sink}
MESSAGES=${BENCH_NOTIFY_MESSAGES:-20000}
CHANGES=${BENCH_NOTIFY_CHANGES:-600}
CHANGE_RATE=${BENCH_NOTIFY_CHANGE_RATE:-20}
PORT=${BENCH_PORT:-18080}
SINK_PORT=${BENCH_SINK_PORT:-18091}
DB=intake_bench_notify
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

$PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
SECRETS_KEY=$("$BIN" secrets generate-key | tail -1)
export SECRETS_KEY
LOG_LEVEL=warning "$BIN" migrate >/dev/null
BACKOFFICE_KEY=$(LOG_LEVEL=warning "$BIN" seed-demo | awk '/barchester/ && /backoffice/ {print $NF}')
Q="$PSQL -d $DB -tA"

SERVICE_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
NOTIFY_SECRET=$(python3 -c 'import uuid; print(uuid.uuid4())')
RECEIVED_T=11111111-1111-4111-8111-111111111111
CHANGED_T=22222222-2222-4222-8222-222222222222
NOTIFY_SECRET=$NOTIFY_SECRET NOTIFY_SERVICE_ID=$SERVICE_ID SINK_PORT=$SINK_PORT "$SINK_BIN" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
RATE_LIMIT_WRITES_PER_MINUTE=1000000 RATE_LIMIT_READS_PER_MINUTE=1000000 LOG_LEVEL=warning HTTP_PORT=$PORT \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && curl -sf "http://127.0.0.1:$SINK_PORT/count" >/dev/null && break
  sleep 0.1
done
curl -sf -X PUT "http://127.0.0.1:$PORT/v1/councils/barchester/notify-settings" \
  -H "Authorization: Bearer $BACKOFFICE_KEY" -H 'Content-Type: application/json' \
  -d "{\"api_key\": \"bench-$SERVICE_ID-$NOTIFY_SECRET\", \"templates\": {\"report_received\": \"$RECEIVED_T\",
       \"status_changed\": \"$CHANGED_T\"}, \"channels\": [\"email\"]}" >/dev/null

# 1. Messages per second. Reports as intake writes them: the created event's trigger queues the
# reporter's message and its job.
ENQUEUE_START=$(now)
$Q -c "
  WITH council AS (SELECT id FROM councils WHERE slug = 'barchester'),
  r AS (
    INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
                         reporter_name, reporter_email, tracking_token_hash)
    SELECT 'BN-' || g, council.id, cat.id, ST_SetSRID(ST_MakePoint(-1.9 + g * 1e-7, 52.3), 4326), 'Cathedral Close',
           'Bench case ' || g, '{\"waste_type\": \"household\", \"size\": \"car_boot\"}', 'Septimus Harding',
           'reporter' || g || '@example.org', sha256(g::text::bytea)
    FROM generate_series(1, $MESSAGES) g, council
    JOIN categories cat ON cat.council_id = council.id AND cat.code = 'fly_tipping'
    RETURNING id
  )
  INSERT INTO report_events (report_id, kind, status, actor) SELECT id, 'created', 'open', 'reporter' FROM r" >/dev/null
ENQUEUE_END=$(now)
[ -n "${BENCH_PGSS:-}" ] && $Q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
QUEUED=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE notification_id IS NOT NULL")
START=$(now)
WORKER_BATCH_SIZE=${BENCH_BATCH:-200} WORKER_LANES=${BENCH_LANES:-4} DB_POOL_SIZE=${BENCH_POOL:-20} \
  LOG_LEVEL=warning GOVUK_NOTIFY_BASE_URL="http://127.0.0.1:$SINK_PORT" "$BIN" worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=($WORKER_PID)
DEADLINE=$(( $(date +%s) + 600 ))
while :; do
  LEFT=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE notification_id IS NOT NULL AND state <> 'done'")
  [ "$LEFT" = 0 ] && break
  [ "$(date +%s)" -gt "$DEADLINE" ] && { echo "worker did not finish: $LEFT left" >&2; break; }
  sleep 0.05
done
END=$(now)
[ -n "${BENCH_PGSS:-}" ] && $Q -c "SELECT round(total_exec_time)::int AS ms, calls, round(mean_exec_time::numeric, 3) AS mean, left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12" >&2
RSS=$(ps -o rss= -p $WORKER_PID | tr -d ' ')
read -r SENT BAD < <(curl -sf "http://127.0.0.1:$SINK_PORT/count")
STATES=$($Q -c "SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM notifications GROUP BY state) s")
ATTEMPT_MS=$($Q -c "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) || ' / ' ||
                           percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) FROM dispatch_attempts")
RATE=$(calc "round($QUEUED / ($END - $START))")

# The stand-in's own ceiling: the same request with a valid token (made now, good for 30 s).
TOKEN=$(python3 - "$SERVICE_ID" "$NOTIFY_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
head = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b(json.dumps({"iss": sys.argv[1], "iat": int(time.time())}).encode())
print(head + "." + b(hmac.new(sys.argv[2].encode(), head.encode(), hashlib.sha256).digest()))
PY
)
cat > "$WORK/notify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = '{"email_address": "a@example.org", "template_id": "$RECEIVED_T", "personalisation": {"reference": "BN-1", "report_url": "x"}, "reference": "00000000-0000-4000-8000-000000000000"}'
LUA
wrk -t2 -c64 -d5s -s "$WORK/notify.lua" "http://127.0.0.1:$SINK_PORT/v2/notifications/email" >"$WORK/ceiling.txt"
CEILING=$(awk '/Requests\/sec/ {print int($2)}' "$WORK/ceiling.txt")

# 2. Delay from a status change to the email request, every setting at its default.
kill -TERM $WORKER_PID; wait $WORKER_PID 2>/dev/null || true
LOG_LEVEL=warning GOVUK_NOTIFY_BASE_URL="http://127.0.0.1:$SINK_PORT" "$BIN" worker >"$WORK/worker2.log" 2>&1 &
PIDS+=($!)
$Q -c "SELECT id FROM reports ORDER BY reference LIMIT $CHANGES" >"$WORK/ids.txt"
DELAYS=$(python3 - "$WORK/ids.txt" "$PORT" "$BACKOFFICE_KEY" "$CHANGE_RATE" "$SINK_PORT" "$CHANGED_T" <<'PY'
import json, sys, time, threading, urllib.request
ids = [line.strip() for line in open(sys.argv[1]) if line.strip()]
port, key, rate, sink, template = sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], sys.argv[6]
sent, failures = {}, []
def change(report_id):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/backoffice/cases/{report_id}/status",
        data=json.dumps({"status": "in_progress", "public_note": "A crew is on its way."}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, method="POST")
    sent[report_id] = time.time() * 1000
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except Exception as error:
        failures.append(str(error))
start = time.time()
threads = []
for index, report_id in enumerate(ids):
    delay = start + index / rate - time.time()
    if delay > 0: time.sleep(delay)
    thread = threading.Thread(target=change, args=(report_id,)); thread.start(); threads.append(thread)
for thread in threads: thread.join()
arrived = {}
deadline = time.time() + 30
while time.time() < deadline:
    log = urllib.request.urlopen(f"http://127.0.0.1:{sink}/notify-log").read().decode()
    arrived = {}
    for line in log.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == template: arrived[parts[2].rsplit("/", 1)[-1]] = int(parts[0])
    if len(arrived) >= len(ids): break
    time.sleep(0.2)
delays = sorted(arrived[i] - sent[i] for i in ids if i in arrived)
def pct(p): return delays[min(len(delays) - 1, int(round(p * (len(delays) - 1))))] if delays else float("nan")
print(f"{'Status change -> email request at Notify':44} {len(delays)} of {len(ids)} changes at {rate:g}/s, "
      f"p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {(delays[-1] if delays else float('nan')):.0f} ms; {len(failures)} API failures")
PY
)

printf '%-44s %s\n' "Messages sent (worker, batch ${BENCH_BATCH:-200} x ${BENCH_LANES:-4})" "$QUEUED in $(calc "round($END - $START, 2)") s = ${RATE}/s"
printf '%-44s %s\n' "  queued by intake's statement" "$MESSAGES reports in $(calc "round($ENQUEUE_END - $ENQUEUE_START, 2)") s"
printf '%-44s %s\n' "  stand-in accepted / bad tokens" "$SENT / $BAD"
printf '%-44s %s\n' "  message log states" "$STATES"
printf '%-44s %s\n' "  attempt duration p50 / p99 (ms)" "$ATTEMPT_MS"
printf '%-44s %s\n' "  worker peak RSS" "$((RSS / 1024)) MB"
printf '%-44s %s\n' "  stand-in's own ceiling (wrk, 64 conns)" "${CEILING}/s (ratio $(calc "round($RATE / $CEILING, 2)"))"
echo "$DELAYS"
exit 0
