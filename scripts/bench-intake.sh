#!/usr/bin/env bash
# Intake benchmark: the release server on loopback under wrk (POST /v1/reports, the Open311 POST,
# POST /v1/payment-intents, GET one report,
# a bounding-box listing, and POST again at half the peak rate), then pgbench running the SQL
# the intake path runs, in the same run. Prints one table. Figures, not pass/fail: the targets
# are in the README.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
DURATION=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PORT=${BENCH_PORT:-18080}
DB=intake_bench
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null; }

$PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
LOG_LEVEL=warning "$BIN" migrate >/dev/null
CLIENT_KEY=$(LOG_LEVEL=warning "$BIN" seed-demo | awk '/^client key/ {print $NF}')

LOG_LEVEL=warning HTTP_PORT=$PORT DB_POOL_SIZE=${BENCH_POOL:-16} "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done

# Numbers each wrk thread (tid), so ids built from it are unique across threads.
THREAD_IDS='local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end'

# Reports spread over Barchester, each with its attributes and a reporter, as an app sends them.
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CLIENT_KEY"
local n = 0
request = function()
  n = n + 1
  local lon = -2.15 + (n % 997) * 0.0005
  local lat = 52.05 + (n % 89) * 0.005
  local body = string.format('{"category":"fly_tipping","location":{"lat":%.5f,"lon":%.5f},"description":"Bags dumped by the gate, number %d","attributes":{"waste_type":"household","size":"car_boot"},"reporter":{"name":"Bench Tester","email":"bench@example.org"}}', lat, lon, n)
  return wrk.format(nil, "/v1/reports", nil, body)
end
LUA

# The same reports as a FixMyStreet-shaped Open311 POST (form body, its own report id).
cat > "$WORK/open311.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
-- Each wrk thread numbers its own reports, so every FixMyStreet id is unique.
$THREAD_IDS
local n = 0
request = function()
  n = n + 1
  local lon = -2.15 + (n % 997) * 0.0005
  local lat = 52.05 + (n % 89) * 0.005
  local body = string.format("api_key=$CLIENT_KEY&jurisdiction_id=barchester&service_code=fly_tipping&lat=%.6f&long=%.6f"
    .. "&description=Bags+dumped+by+the+gate%%2C+number+%d&first_name=Bench&last_name=Tester&email=bench%%40example.org"
    .. "&attribute%%5Bwaste_type%%5D=household&attribute%%5Bsize%%5D=car_boot&attribute%%5Bfixmystreet_id%%5D=%d%08d",
    lat, lon, n, tid, n)
  return wrk.format(nil, "/open311/v2/requests.xml", nil, body)
end
LUA

# Council-tax payment intents (sandbox provider): each with its own Idempotency-Key, as apps send them.
cat > "$WORK/payments.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CLIENT_KEY"
$THREAD_IDS
local n = 0
request = function()
  n = n + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d", tid, n)
  local body = string.format('{"council":"barchester","purpose":"council_tax","account_reference":"41234561","amount":%d,"return_url":"https://app.example/paid","metadata":{"run":%d}}', 100 + n % 5000, n)
  return wrk.format(nil, "/v1/payment-intents", nil, body)
end
LUA

run_wrk() { # name, wrk args… → a table row
  local name=$1; shift
  local out
  out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@")
  echo "$out" > "$WORK/$(echo "$name" | tr -c 'a-z0-9' '_').txt"
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-40s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  LAST_RPS=$rps
}

printf '%-40s %12s %10s %10s %8s\n' "load (wrk, ${CONNECTIONS} connections, ${DURATION}s)" "requests/s" "p50" "p99" "non-2xx"
run_wrk "POST /v1/reports" -s "$WORK/post.lua" "http://127.0.0.1:$PORT"
PEAK=$LAST_RPS
run_wrk "POST /open311/v2/requests.xml (form)" -s "$WORK/open311.lua" "http://127.0.0.1:$PORT"
run_wrk "POST /v1/payment-intents (sandbox)" -s "$WORK/payments.lua" "http://127.0.0.1:$PORT"
REPORT_ID=$($PSQL -d "$DB" -tAc "SELECT id FROM reports ORDER BY created_at DESC LIMIT 1")
run_wrk "GET /v1/reports/{id}" "http://127.0.0.1:$PORT/v1/reports/$REPORT_ID"
run_wrk "GET /v1/reports?bbox=... (50 a page)" "http://127.0.0.1:$PORT/v1/reports?bbox=-2.0,52.1,-1.8,52.3&limit=50"

# Half the peak rate: each connection waits so that all together send about PEAK/2 a second.
DELAY_MS=$(awk -v c="$CONNECTIONS" -v p="$PEAK" 'BEGIN { printf "%d", 2000 * c / p }')
sed "s/^request = function()/function delay() return $DELAY_MS end\nrequest = function()/" "$WORK/post.lua" > "$WORK/half.lua"
run_wrk "POST /v1/reports at half the peak rate" -s "$WORK/half.lua" "http://127.0.0.1:$PORT"
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

# The same SQL the intake path runs (key lookup, routing, reference, the report with its events
# and job; the job's insert trigger notifies), in one transaction, at the same concurrency.
KEY_PREFIX=$(echo "$CLIENT_KEY" | cut -d_ -f2)
cat > "$WORK/intake.sql" <<SQL
\set n random(1, 1000000)
SELECT id, secret_hash, role, council_id FROM api_keys WHERE prefix = '$KEY_PREFIX' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now());
BEGIN;
SELECT COALESCE(string_agg(quote_literal(id), ',' ORDER BY rank, area, slug), '') AS ids FROM (
  SELECT c.id, c.slug, CASE c.tier WHEN 'parish' THEN 0 WHEN 'county' THEN 2 ELSE 1 END AS rank, ST_Area(c.boundary) AS area
  FROM councils c WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint(-2.15 + (:n % 997) * 0.0005, 52.05 + (:n % 89) * 0.005), 4326))) here \gset
SELECT cat.code, cat.council_id, cat.attributes::text FROM (
  SELECT DISTINCT ON (cat.code) cat.* FROM categories cat
  JOIN unnest(ARRAY[:ids]::uuid[]) WITH ORDINALITY AS here(id, priority) ON here.id = cat.council_id
  WHERE cat.retired_at IS NULL ORDER BY cat.code, here.priority) cat JOIN councils c ON c.id = cat.council_id;
INSERT INTO report_reference_counters (council_id, prefix, last_value) SELECT id, 'FT', 1 FROM councils WHERE slug = 'barchester'
ON CONFLICT (council_id, prefix) DO UPDATE SET last_value = report_reference_counters.last_value + 1 RETURNING last_value \gset
WITH category AS (
  SELECT cat.id, cat.council_id FROM categories cat JOIN councils c ON c.id = cat.council_id WHERE c.slug = 'barchester' AND cat.code = 'fly_tipping'
), report AS (
  INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
    reporter_name, reporter_email, reporter_phone, anonymous, tracking_token_hash, client_key_id)
  SELECT 'FT-' || lpad(:last_value::text, 6, '0'), category.council_id, category.id,
    ST_SetSRID(ST_MakePoint(-2.15 + (:n % 997) * 0.0005, 52.05 + (:n % 89) * 0.005), 4326), NULL,
    'Bags dumped by the gate, number ' || :n, '{"waste_type":"household","size":"car_boot"}'::jsonb,
    'Bench Tester', 'bench@example.org', NULL, false, sha256(:n::text::bytea), NULL
  FROM category RETURNING *
), created AS (
  INSERT INTO report_events (report_id, kind, status, actor) SELECT id, 'created', 'open', 'reporter' FROM report RETURNING id, report_id
), routed AS (
  INSERT INTO report_events (report_id, kind, public_note, actor) SELECT id, 'routed', 'Sent to Barchester City Council', 'system' FROM report
), job AS (
  INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
  SELECT created.report_id, created.id, 'case.created', dispatch_destination(category.council_id, category.id) FROM created, category
)
SELECT r.id, r.reference FROM report r;
COMMIT;
SQL
SQL_TPS=$("$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U intake -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$WORK/intake.sql" "$DB" 2>&1 \
  | awk '/^tps/ {print $3; exit}')
printf '%-40s %12s\n' "raw SQL of the intake path (pgbench)" "$SQL_TPS"
# The database alone at half the API's peak rate: how much of the API's tail is the database's.
HALF_RATE=$(awk -v p="$PEAK" 'BEGIN { printf "%d", p / 2 }')
"$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U intake -c "$CONNECTIONS" -j 2 -T "$DURATION" -R "$HALF_RATE" \
  -l --log-prefix="$WORK/rate" -f "$WORK/intake.sql" "$DB" >/dev/null 2>&1
cat "$WORK"/rate* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
  printf "%-40s %12s %8.2fms %8.2fms\n", "raw SQL at half the API peak rate", NR / '"$DURATION"', a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000 }'
awk -v a="$PEAK" -v s="$SQL_TPS" 'BEGIN { printf "%-40s %11.0f%%\n", "API intake rate / raw SQL rate", 100 * a / s }'
awk -v k="$RSS_KB" 'BEGIN { printf "%-40s %9.0f MB\n", "peak RSS of the server", k / 1024 }'
echo "(targets: intake ≥ 60% of raw SQL, zero non-2xx, p99 ≤ 50 ms at half the peak rate, RSS ≤ 250 MB)"
[ -n "${BENCH_KEEP:-}" ] || $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
