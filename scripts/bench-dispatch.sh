#!/usr/bin/env bash
# Dispatch benchmark, two figures:
#  1. webhook deliveries per second: N cases queued at once, then the release worker delivers
#     them to a local receiver (webhook-sink) that verifies every Standard Webhooks signature;
#     timed from the worker's start until the last job is recorded done.
#  2. pull messages per second: wrk against the release server, each connection receiving
#     batches of 10 and acknowledging them with one batch ack; counted in the database.
# Figures, not pass/fail: the targets are in the README.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
SINK_BIN=${SINK_BIN:-.build/release/webhook-sink}
JOBS=${BENCH_DISPATCH_JOBS:-20000}
PULL_JOBS=${BENCH_PULL_JOBS:-60000}
DURATION=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_PULL_CONNECTIONS:-16}
PORT=${BENCH_PORT:-18080}
SINK_PORT=${BENCH_SINK_PORT:-18090}
DB=intake_bench_dispatch
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null; }

$PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
LOG_LEVEL=warning "$BIN" migrate >/dev/null
BACKOFFICE_KEY=$(LOG_LEVEL=warning "$BIN" seed-demo | awk '/barchester/ && /backoffice/ {print $NF}')
Q="$PSQL -d $DB -tA"

# Queues `count` Barchester cases for the destination named `name`, as intake would (report,
# created event, job), in one statement.
enqueue() {
  local name=$1 count=$2 offset=$3
  $Q -c "
    WITH dest AS (SELECT d.id, d.council_id FROM destinations d JOIN councils c ON c.id = d.council_id
                  WHERE c.slug = 'barchester' AND d.name = '$name'),
    r AS (
      INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
                           reporter_name, reporter_email, reporter_phone, tracking_token_hash)
      SELECT 'BN-' || g, dest.council_id, cat.id, ST_SetSRID(ST_MakePoint(-1.9 + g * 1e-7, 52.3), 4326),
             'Cathedral Close', 'Bench case ' || g || ': mattress and bags by the gate',
             '{\"waste_type\": \"household\", \"size\": \"car_boot\"}', 'Septimus Harding', 'harding@example.org',
             '01632 960555', sha256(g::text::bytea)
      FROM generate_series($offset + 1, $offset + $count) g, dest
      JOIN categories cat ON cat.council_id = dest.council_id AND cat.code = 'fly_tipping'
      RETURNING id
    ), e AS (
      INSERT INTO report_events (report_id, kind, status, actor) SELECT id, 'created', 'open', 'reporter' FROM r RETURNING id, report_id
    )
    INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
    SELECT e.report_id, e.id, 'case.created', dest.id FROM e, dest" >/dev/null
}
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

# 1. Webhook deliveries.
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
$Q -c "INSERT INTO destinations (council_id, name, kind, url, secret, timeout_seconds)
       SELECT id, 'bench-hook', 'webhook', 'http://127.0.0.1:$SINK_PORT/hook', '$SECRET', 15 FROM councils WHERE slug = 'barchester'" >/dev/null
WEBHOOK_SECRET=$SECRET SINK_PORT=$SINK_PORT "$SINK_BIN" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$SINK_PORT/count" >/dev/null && break; sleep 0.1; done
enqueue bench-hook "$JOBS" 0
START=$(now)
LOG_LEVEL=warning DB_POOL_SIZE=${BENCH_POOL:-16} WORKER_BATCH_SIZE=${BENCH_BATCH:-200} WORKER_LANES=${BENCH_LANES:-4} \
  WORKER_POLL_INTERVAL=0.2 DESTINATIONS_ALLOW_PRIVATE=true "$BIN" worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=($WORKER_PID)
DEADLINE=$(( $(date +%s) + 600 ))
while :; do
  LEFT=$($Q -c "SELECT count(*) FROM dispatch_jobs j JOIN destinations d ON d.id = j.destination_id
                WHERE d.name = 'bench-hook' AND j.state <> 'done'")
  [ "$LEFT" = 0 ] && break
  [ "$(date +%s)" -gt "$DEADLINE" ] && { echo "worker did not finish: $LEFT left" >&2; break; }
  sleep 0.1
done
END=$(now)
RSS=$(ps -o rss= -p $WORKER_PID | tr -d ' ')
kill -TERM $WORKER_PID; wait $WORKER_PID 2>/dev/null || true
read -r RECEIVED BAD < <(curl -sf "http://127.0.0.1:$SINK_PORT/count")
ATTEMPT_MS=$($Q -c "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) || ' / ' ||
                           percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) FROM dispatch_attempts")
ELAPSED=$(calc "round($END - $START, 2)")
RATE=$(calc "round($JOBS / ($END - $START))")

# 2. Pull receive + batch ack.
enqueue cases "$PULL_JOBS" "$JOBS"
# Quotas far above the load (the bench comes from one key and one address), so the limiter runs
# but refuses nothing: the figures include its cost.
RATE_LIMIT_WRITES_PER_MINUTE=1000000 RATE_LIMIT_READS_PER_MINUTE=1000000 RATE_LIMIT_TRACKING_PER_MINUTE=1000000 \
  LOG_LEVEL=warning HTTP_PORT=$PORT DB_POOL_SIZE=${BENCH_POOL:-16} "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=($SERVER_PID)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
cat > "$WORK/pull.lua" <<LUA
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $BACKOFFICE_KEY"
local receive = wrk.format("POST", "/v1/backoffice/queues/cases/receive", nil, '{"max_messages": 10, "visibility_timeout": 120}')
local pending = {}
request = function()
  if #pending > 0 then return table.remove(pending, 1) end
  return receive
end
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"messages"', 1, true) then return end
  local ids, handles, last = {}, {}, nil
  -- Each message carries its id twice (envelope and payload); keep one of each.
  for id in string.gmatch(body, '"message_id":"([^"]+)"') do
    if id ~= last then ids[#ids + 1] = id end
    last = id
  end
  for handle in string.gmatch(body, '"receipt_handle":"([^"]+)"') do handles[#handles + 1] = handle end
  if #handles == 0 then return end
  local entries = {}
  for i = 1, #handles do
    entries[#entries + 1] = '{"message_id":"' .. ids[i] .. '","receipt_handle":"' .. handles[i] .. '"}'
  end
  pending[#pending + 1] = wrk.format("POST", "/v1/backoffice/queues/cases/ack", nil, '{"entries":[' .. table.concat(entries, ",") .. ']}')
end
LUA
DONE_BEFORE=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE state = 'done'")
PULL_START=$(now)
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/pull.lua" "http://127.0.0.1:$PORT" >"$WORK/pull.txt"
PULL_END=$(now)
DONE_AFTER=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE state = 'done'")
PULL_LEFT=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE state = 'pending'")
ACKED=$((DONE_AFTER - DONE_BEFORE))
PULL_RATE=$(calc "round($ACKED / ($PULL_END - $PULL_START))")
P99=$(awk '/ 99%/ {print $2}' "$WORK/pull.txt")
REQS=$(awk '/Requests\/sec/ {print $2}' "$WORK/pull.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/pull.txt")

printf '%-44s %s\n' "Webhook deliveries (worker, signed, verified)" "$JOBS cases in ${ELAPSED} s = ${RATE}/s"
printf '%-44s %s\n' "  sink received / bad signatures" "$RECEIVED / $BAD"
printf '%-44s %s\n' "  attempt duration p50 / p99 (ms)" "$ATTEMPT_MS"
printf '%-44s %s\n' "  worker peak RSS" "$((RSS / 1024)) MB"
printf '%-44s %s\n' "Pull receive(10) + batch ack" "$ACKED messages in ${DURATION} s = ${PULL_RATE}/s"
printf '%-44s %s\n' "  HTTP requests/s, p99, non-2xx" "$REQS req/s, p99 $P99, ${NON2XX:-0} non-2xx"
[ "$PULL_LEFT" = 0 ] && echo "  (the queue ran empty: raise BENCH_PULL_JOBS)"
exit 0
