#!/usr/bin/env bash
# Intake benchmark: the release server on loopback under wrk (Open311 and services reads, the
# server CPU each listed report costs, POST /v1/reports, the Open311 POST, POST
# /v1/payment-intents, GET one report, a bounding-box listing, and POST again at half the peak
# rate), then pgbench in the same run: the ceiling (the minimal durable intake) and the SQL the
# intake path runs. Prints each write row's ratio to the ceiling. Figures, not pass/fail: the
# targets are in the README.
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

# Quotas far above the load (the bench comes from one key and one address), so the limiter runs
# but refuses nothing: the figures include its cost.
RATE_LIMIT_WRITES_PER_MINUTE=1000000 RATE_LIMIT_READS_PER_MINUTE=1000000 RATE_LIMIT_TRACKING_PER_MINUTE=1000000 \
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

# Server CPU time so far, in clock ticks (utime + stime).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICK_HZ=$(getconf CLK_TCK)
# CPU per request of the last run, in microseconds: server CPU over the run / requests served.
run_cpu() { # name, wrk args… → sets LAST_CPU_US
  local before after requests
  before=$(cpu_ticks)
  run_wrk "$@" >/dev/null
  after=$(cpu_ticks)
  requests=$(awk '/requests in/ {print $1}' "$WORK/$(echo "$1" | tr -c 'a-z0-9' '_').txt")
  LAST_CPU_US=$(awk -v t=$((after - before)) -v hz="$TICK_HZ" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
}

# 100 reports first, through the API: the Open311 listing and the rendering figures read them.
for i in $(seq 1 100); do
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
    -d "{\"category\":\"fly_tipping\",\"location\":{\"lat\":52.2,\"lon\":$(awk -v i="$i" 'BEGIN { printf "%.4f", -1.95 + i * 0.001 }')},\"description\":\"Seed report $i: bags by the gate\",\"attributes\":{\"waste_type\":\"household\",\"size\":\"car_boot\"},\"reporter\":{\"name\":\"Bench Tester\",\"email\":\"bench@example.org\"}}" \
    "http://127.0.0.1:$PORT/v1/reports"
done
ONE_ID=$($PSQL -d "$DB" -tAc "SELECT id FROM reports ORDER BY created_at DESC LIMIT 1")

printf '%-40s %12s %10s %10s %8s\n' "load (wrk, ${CONNECTIONS} connections, ${DURATION}s)" "requests/s" "p50" "p99" "non-2xx"
run_wrk "GET /open311/v2/requests.json (100)" "http://127.0.0.1:$PORT/open311/v2/requests.json"
run_wrk "GET /open311/v2/services.json" "http://127.0.0.1:$PORT/open311/v2/services.json?jurisdiction_id=barchester"
run_wrk "GET /v1/services?lat=&lon=" "http://127.0.0.1:$PORT/v1/services?lat=52.3&lon=-1.9"

# Rendering: CPU per request listing 100 reports minus listing 1, over the 99 more rows.
run_cpu "json-100" "http://127.0.0.1:$PORT/v1/reports?limit=100"; JSON100=$LAST_CPU_US
run_cpu "json-1" "http://127.0.0.1:$PORT/v1/reports?limit=1"; JSON1=$LAST_CPU_US
run_cpu "geojson-100" -H "Accept: application/geo+json" "http://127.0.0.1:$PORT/v1/reports?limit=100"; GEO100=$LAST_CPU_US
run_cpu "geojson-1" -H "Accept: application/geo+json" "http://127.0.0.1:$PORT/v1/reports?limit=1"; GEO1=$LAST_CPU_US
run_cpu "xml-100" "http://127.0.0.1:$PORT/open311/v2/requests.xml"; XML100=$LAST_CPU_US
run_cpu "xml-1" "http://127.0.0.1:$PORT/open311/v2/requests.xml?service_request_id=$ONE_ID"; XML1=$LAST_CPU_US

run_wrk "POST /v1/reports" -s "$WORK/post.lua" "http://127.0.0.1:$PORT"
PEAK=$LAST_RPS
run_wrk "POST /open311/v2/requests.xml (form)" -s "$WORK/open311.lua" "http://127.0.0.1:$PORT"
OPEN311_RPS=$LAST_RPS
run_wrk "POST /v1/payment-intents (sandbox)" -s "$WORK/payments.lua" "http://127.0.0.1:$PORT"
PAYMENT_RPS=$LAST_RPS
REPORT_ID=$($PSQL -d "$DB" -tAc "SELECT id FROM reports ORDER BY created_at DESC LIMIT 1")
run_wrk "GET /v1/reports/{id}" "http://127.0.0.1:$PORT/v1/reports/$REPORT_ID"
run_wrk "GET /v1/reports?bbox=... (50 a page)" "http://127.0.0.1:$PORT/v1/reports?bbox=-2.0,52.1,-1.8,52.3&limit=50"

# Half the peak rate: each connection waits so that all together send about PEAK/2 a second.
DELAY_MS=$(awk -v c="$CONNECTIONS" -v p="$PEAK" 'BEGIN { printf "%d", 2000 * c / p }')
sed "s/^request = function()/function delay() return $DELAY_MS end\nrequest = function()/" "$WORK/post.lua" > "$WORK/half.lua"
run_wrk "POST /v1/reports at half the peak rate" -s "$WORK/half.lua" "http://127.0.0.1:$PORT"
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

IDS=$($PSQL -d "$DB" -tA -F' ' -c "SELECT c.id, cat.id FROM councils c JOIN categories cat ON cat.council_id = c.id
                                    WHERE c.slug = 'barchester' AND cat.code = 'fly_tipping'")
COUNCIL_ID=${IDS% *}; CATEGORY_ID=${IDS#* }

# The ceiling: the minimal durable intake. A report, its event and its job in one transaction,
# nothing else: no routing, no reference counter or sequence, no notification. Prepared.
cat > "$WORK/ceiling.sql" <<SQL
\set n random(1, 1000000000)
WITH report AS (
  INSERT INTO reports (reference, council_id, category_id, location, description, attributes,
    reporter_name, reporter_email, anonymous, tracking_token_hash)
  VALUES ('CL-' || :client_id || '-' || :n || '-' || txid_current(), '$COUNCIL_ID', '$CATEGORY_ID',
    ST_SetSRID(ST_MakePoint(-2.15 + (:n % 997) * 0.0005, 52.05 + (:n % 89) * 0.005), 4326),
    'Bags dumped by the gate, number ' || :n, '{"waste_type":"household","size":"car_boot"}'::jsonb,
    'Bench Tester', 'bench@example.org', false, sha256(:n::text::bytea))
  RETURNING id
), created AS (
  INSERT INTO report_events (report_id, kind, status, actor) SELECT id, 'created', 'open', 'reporter' FROM report RETURNING id, report_id
)
INSERT INTO dispatch_jobs (report_id, event_id, event_type) SELECT report_id, id, 'case.created' FROM created;
SQL

# The SQL the intake path now runs, prepared, as the server runs it: the councils covering the
# point, then the one intake statement (reference from the council's sequence, report, both
# events, job with its destination). Keys and categories come from the server's caches.
cat > "$WORK/intake.sql" <<SQL
\set n random(1, 1000000000)
SELECT c.id, c.slug, c.name, c.tier FROM councils c
WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint(-2.15 + (:n % 997) * 0.0005, 52.05 + (:n % 89) * 0.005), 4326))
ORDER BY CASE c.tier WHEN 'parish' THEN 0 WHEN 'county' THEN 2 ELSE 1 END, ST_Area(c.boundary), c.slug;
WITH category AS (
  SELECT id FROM categories WHERE council_id = '$COUNCIL_ID' AND code = 'fly_tipping'
), report AS (
  INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
    reporter_name, reporter_email, reporter_phone, anonymous, tracking_token_hash, client_key_id,
    media_urls, source_attributes, reporter_account_id, reporter_device_id)
  SELECT next_report_reference('$COUNCIL_ID', 'FT'), '$COUNCIL_ID', category.id,
    ST_SetSRID(ST_MakePoint(-2.15 + (:n % 997) * 0.0005, 52.05 + (:n % 89) * 0.005), 4326), NULL,
    'Bags dumped by the gate, number ' || :n, '{"waste_type":"household","size":"car_boot"}'::jsonb,
    'Bench Tester', 'bench@example.org', NULL, false, sha256(:n::text::bytea), NULL, '{}', '{}', NULL, NULL
  FROM category RETURNING id, reference, status, created_at, updated_at
), created AS (
  INSERT INTO report_events (report_id, kind, status, actor) SELECT id, 'created', 'open', 'reporter' FROM report RETURNING id, report_id
), routed AS (
  INSERT INTO report_events (report_id, kind, public_note, actor) SELECT id, 'routed', 'Sent to Barchester City Council', 'system' FROM report
), job AS (
  INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
  SELECT created.report_id, created.id, 'case.created', dispatch_destination('$COUNCIL_ID', category.id) FROM created, category
  RETURNING destination_id
)
SELECT report.id, report.reference, (SELECT destination_id FROM job) FROM report;
SQL
pgbench_tps() { # script → tps
  "$PGBIN/pgbench" -n -M prepared -h 127.0.0.1 -p "$PGPORT" -U intake -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$1" "$DB" 2>&1 \
    | awk '/^tps/ {print $3; exit}'
}
CEILING_TPS=$(pgbench_tps "$WORK/ceiling.sql")
printf '%-40s %12s\n' "ceiling: minimal durable intake (pgbench)" "$CEILING_TPS"
SQL_TPS=$(pgbench_tps "$WORK/intake.sql")
printf '%-40s %12s\n' "intake path's SQL (pgbench, prepared)" "$SQL_TPS"
# The database alone at half the API's peak rate: how much of the API's tail is the database's.
HALF_RATE=$(awk -v p="$PEAK" 'BEGIN { printf "%d", p / 2 }')
"$PGBIN/pgbench" -n -M prepared -h 127.0.0.1 -p "$PGPORT" -U intake -c "$CONNECTIONS" -j 2 -T "$DURATION" -R "$HALF_RATE" \
  -l --log-prefix="$WORK/rate" -f "$WORK/intake.sql" "$DB" >/dev/null 2>&1
cat "$WORK"/rate* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
  printf "%-40s %12s %8.2fms %8.2fms\n", "intake SQL at half the API peak rate", NR / '"$DURATION"', a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000 }'
echo
ratio() { awk -v a="$2" -v s="$CEILING_TPS" -v name="$1" 'BEGIN { printf "%-40s %11.2f\n", name, a / s }'; }
printf '%-40s %11s\n' "write rate / ceiling" "ratio"
ratio "POST /v1/reports" "$PEAK"
ratio "POST /open311/v2/requests.xml (form)" "$OPEN311_RPS"
ratio "POST /v1/payment-intents (sandbox)" "$PAYMENT_RPS"
ratio "intake path's SQL (pgbench)" "$SQL_TPS"
echo
per_row() { awk -v a="$2" -v b="$3" -v name="$1" 'BEGIN { printf "%-40s %9.1f µs\n", name, (a - b) / 99 }'; }
printf '%-40s %12s\n' "server CPU per listed report" "(100 − 1)/99"
per_row "JSON (GET /v1/reports)" "$JSON100" "$JSON1"
per_row "GeoJSON (GET /v1/reports)" "$GEO100" "$GEO1"
per_row "Open311 XML (requests.xml)" "$XML100" "$XML1"
awk -v k="$RSS_KB" 'BEGIN { printf "%-40s %9.0f MB\n", "peak RSS of the server", k / 1024 }'
echo "(targets: writes ≥ 0.6 of the ceiling, zero non-2xx, p99 ≤ 50 ms at half the peak rate, ≤ 20 µs per listed"
echo " report, RSS ≤ 250 MB; see README)"
[ -n "${BENCH_KEEP:-}" ] || $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
