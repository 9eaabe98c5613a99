#!/usr/bin/env bash
# Console benchmark: the case list page of a council with 100,000 cases (generated in SQL with a
# mix of statuses and categories over two years), signed in as an officer, under wrk: one
# connection (its p99 is the figure the target is about) and eight; also the list filtered by
# status and by text, and the CSV export of one status. Figures, not pass/fail: the targets are
# in the README.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
CASES=${BENCH_CONSOLE_CASES:-100000}
DURATION=${BENCH_SECONDS:-10}
PORT=${BENCH_PORT:-18080}
DB=intake_bench_console
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null; }
now() { date +%s.%N; }

$PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
LOG_LEVEL=warning "$BIN" migrate >/dev/null
BACKOFFICE_KEY=$(LOG_LEVEL=warning "$BIN" seed-demo | awk '/barchester/ && /backoffice/ {print $NF}')
Q="$PSQL -d $DB -tA"

START=$(now)
$Q -c "
  WITH council AS (SELECT id FROM councils WHERE slug = 'barchester'),
  cats AS (SELECT array_agg(c.id ORDER BY c.code) AS ids FROM categories c, council WHERE c.council_id = council.id),
  r AS (
    INSERT INTO reports (reference, council_id, category_id, status, location, address, description, attributes,
                         reporter_name, reporter_email, tracking_token_hash, created_at, updated_at, closed_at)
    SELECT 'BC-' || lpad(g::text, 6, '0'), council.id, cats.ids[1 + g % array_length(cats.ids, 1)],
           (ARRAY['open', 'investigating', 'in_progress', 'action_scheduled', 'fixed', 'fixed', 'closed', 'duplicate'])[1 + g % 8],
           ST_SetSRID(ST_MakePoint(-1.95 + (g % 1000) * 0.0001, 52.28 + (g / 1000) * 0.0004), 4326),
           'Street ' || (g % 500), 'Case ' || g || ': ' || (ARRAY['mattress by the gate', 'bags of rubbish', 'graffiti on the wall', 'pothole near the school'])[1 + g % 4],
           '{}', 'Resident ' || g, 'resident' || g || '@example.org', sha256(g::text::bytea),
           now() - (g * interval '10 minutes'), now() - (g * interval '10 minutes'),
           CASE WHEN g % 8 >= 4 THEN now() - (g * interval '10 minutes') + interval '3 days' END
    FROM generate_series(1, $CASES) g, council, cats
    RETURNING id, created_at
  )
  INSERT INTO report_events (report_id, kind, status, actor, created_at) SELECT id, 'created', 'open', 'reporter', created_at FROM r" >/dev/null
# As autovacuum leaves a table at rest: statistics, and the visibility map the counts' index-only scan reads.
$Q -c "VACUUM ANALYZE" >/dev/null
GENERATED=$(python3 -c "print(round($(now) - $START, 1))")

LOG_LEVEL=warning HTTP_PORT=$PORT RATE_LIMIT_READS_PER_MINUTE=1000000 RATE_LIMIT_WRITES_PER_MINUTE=1000000 \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
PASSWORD="a long bench passphrase"
curl -sf -X POST "http://127.0.0.1:$PORT/v1/councils/barchester/staff" -H "Authorization: Bearer $BACKOFFICE_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"email\": \"bench@barchester.example\", \"name\": \"Bench Officer\", \"role\": \"caseworker\", \"password\": \"$PASSWORD\"}" >/dev/null
CSRF=$(curl -sf -c "$WORK/jar" "http://127.0.0.1:$PORT/console/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
curl -sf -b "$WORK/jar" -c "$WORK/jar" -o /dev/null -X POST "http://127.0.0.1:$PORT/console/login" \
  --data-urlencode "csrf=$CSRF" --data-urlencode "email=bench@barchester.example" --data-urlencode "password=$PASSWORD"
SESSION=$(awk '$6 == "ci_console" {print $7}' "$WORK/jar")
[ -n "$SESSION" ] || { echo "bench-console: could not sign in" >&2; exit 1; }
cat > "$WORK/cookie.lua" <<LUA
wrk.headers["Cookie"] = "ci_console=$SESSION"
LUA

run() {
  local label=$1 path=$2 connections=$3
  curl -sf -b "ci_console=$SESSION" "http://127.0.0.1:$PORT$path" -o "$WORK/page" || { echo "bench-console: $path failed" >&2; return; }
  wrk -t1 -c"$connections" -d"${DURATION}s" --latency -s "$WORK/cookie.lua" "http://127.0.0.1:$PORT$path" >"$WORK/wrk.txt"
  printf '%-46s %8s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$label" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" \
    "$(awk '/ 50%/ {print $2}' "$WORK/wrk.txt")" "$(awk '/ 99%/ {print $2}' "$WORK/wrk.txt")" "$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt" | grep . || echo 0)"
}

echo "$CASES cases at Barchester generated in ${GENERATED} s"
run "case list, 1 connection" "/console/" 1
run "case list, 8 connections" "/console/" 8
run "case list, status=in_progress, 1 connection" "/console/?status=in_progress" 1
run "case list, text 'school' (1 in 4), 1 connection" "/console/?q=school" 1
run "case list, text 'BC-0421' (10 cases), 1 conn." "/console/?q=BC-0421" 1
run "case list, text 'no such words', 1 connection" "/console/?q=no+such+words" 1
run "case list, category and status, 1 connection" "/console/?status=open&category=graffiti" 1
run "CSV of status=duplicate, 1 connection" "/console/cases.csv?status=duplicate" 1
echo "  query plan of the counts per status, text 'school':"
$Q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
  SELECT r.status, count(*) FROM reports r
  WHERE r.council_id = (SELECT id FROM councils WHERE slug = 'barchester')
    AND (r.reference || E'\\n' || r.description) ILIKE '%school%'
  GROUP BY r.status" | sed 's/^/    /'
echo "  query plan of the first page:"
$Q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
  SELECT r.id FROM reports r JOIN councils c ON c.id = r.council_id JOIN categories cat ON cat.id = r.category_id
  WHERE c.slug = 'barchester' ORDER BY r.created_at DESC, r.id DESC LIMIT 51" | sed 's/^/    /'
exit 0
