#!/usr/bin/env bash
# `make bench-scale`: the service at national size. 400 councils with generated boundaries of
# 1,000–20,000 vertices tiling a Great-Britain-sized area (districts, counties over them, a few
# with islands), 10–20 categories each; reads and intake measured on a nearly empty database
# (1,000 reports), then again after 10 million reports over five years are generated in SQL
# (statuses, timeline events and the last 30 days' dispatch jobs), each read with its query plan;
# then housekeeping at that size under intake, and two serve and two worker processes behind
# HAProxy on the same database (scripts/bench-scale-replicas.sh). Each read's query plan, as
# PostgreSQL ran it for the service (auto_explain), ends the output.
#
# Bounded: BENCH_SCALE_REPORTS (default 10,000,000; about 11 GB of disk while it runs, dropped at
# the end unless BENCH_SCALE_KEEP=1), BENCH_SECONDS per measurement (default 10). Exits non-zero
# when the replicas lose, repeat or reorder a delivery.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
REPORTS=${BENCH_SCALE_REPORTS:-10000000}
SAMPLE=1000
DURATION=${BENCH_SECONDS:-10}
CONNECTIONS=32
PORT=${BENCH_PORT:-18095}
DB=intake_bench_scale
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
Q="$PSQL -d $DB -tA"
WORK=$(mktemp -d)
SERVER_PID=
HK_PID=
SAMPLER=
cleanup() {
  for pid in "$SERVER_PID" "$HK_PID" "$SAMPLER"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  [ "${BENCH_SCALE_KEEP:-0}" = 1 ] || [ "${BENCH_SCALE_REUSE:-0}" = 1 ] || $PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v wrk >/dev/null || {
  echo "installing wrk" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
# BENCH_SCALE_REUSE=1 measures a database kept by an earlier BENCH_SCALE_KEEP=1 run again (at
# size only, and keeps it), after migrating it: for trying an index without generating it again.
REUSE=${BENCH_SCALE_REUSE:-0}
if [ "$REUSE" = 1 ]; then
  REPORTS=$($PSQL -d "$DB" -tAc "SELECT count(*) FROM reports WHERE id <= bench.rid($REPORTS)")
else
  $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
fi
LOG_LEVEL=warning "$BIN" migrate >/dev/null
CLIENT_KEY=$(LOG_LEVEL=warning "$BIN" keys create --role client --label bench-scale | grep -o 'ci_[A-Za-z0-9_]*' | head -1)
[ -n "$CLIENT_KEY" ] || { echo "bench-scale: no client key" >&2; exit 1; }

if [ "$REUSE" != 1 ]; then
START=$(now)
$PSQL -d "$DB" -f scripts/bench-scale/generate.sql >/dev/null
$Q -c "VACUUM ANALYZE councils, categories" >/dev/null
echo "councils: $($Q -c "SELECT count(*) FROM councils") ($($Q -c "SELECT count(*) FILTER (WHERE tier = 'district') || ' districts, ' || count(*) FILTER (WHERE tier = 'county') || ' counties' FROM councils")), generated in $(since "$START") s"
echo "  vertices per boundary: $($Q -c "SELECT min(ST_NPoints(boundary)) || '–' || max(ST_NPoints(boundary)) || ', median ' || percentile_disc(0.5) WITHIN GROUP (ORDER BY ST_NPoints(boundary)) FROM councils")"
echo "  with islands: $($Q -c "SELECT count(*) FROM councils WHERE ST_NumGeometries(boundary) > 1"), invalid: $($Q -c "SELECT count(*) FROM councils WHERE NOT ST_IsValid(boundary)")"
echo "  categories per council: $($Q -c "SELECT min(n) || '–' || max(n) FROM (SELECT count(*) n FROM categories GROUP BY council_id) c")"

fi

# The busiest district's back office, for its payments' reconciliation.
STAFF_KEY=$(LOG_LEVEL=warning "$BIN" keys create --role backoffice --council district-0-0 --label bench-scale | grep -o 'ci_[A-Za-z0-9_]*' | head -1)
[ -n "$STAFF_KEY" ] || { echo "bench-scale: no back-office key" >&2; exit 1; }

# Reads: what apps, back offices and Open311 clients ask most, each at random over the map.
lua_common() {
  cat <<LUA
local reports = $1
local function id()
  return string.format("00000000-0000-4000-8000-%012x", math.random(1, reports))
end
local function district()
  -- Busy districts more often, as people report where they live.
  local cell = (math.floor(380 * math.random() ^ 2.2) * 151) % 380
  return math.floor(cell / 19), cell % 19
end
setup = function(thread) thread:set("seed", math.random(1, 1000000000)) end
init = function() math.randomseed(seed) end
LUA
}
write_reads() { # reports known → one Lua file per read
  local n=$1 since90 now_
  since90=$(date -u -d '90 days ago' +%Y-%m-%dT%H:%M:%SZ)
  now_=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  { lua_common "$n"; echo 'request = function() return wrk.format("GET", "/v1/reports/" .. id()) end'; } >"$WORK/by-id.lua"
  { lua_common "$n"; echo 'request = function() return wrk.format("GET", "/v1/reports/" .. id() .. "/timeline") end'; } >"$WORK/timeline.lua"
  # A city-sized box (0.1° × 0.06°, about 7 × 7 km) and a county-sized one (1.2° × 0.9°).
  { lua_common "$n"; cat <<'LUA'
request = function()
  local i, j = district()
  local lon, lat = -6 + 0.4 * (i + math.random() * 0.75), 50 + 0.3 * (j + math.random() * 0.8)
  return wrk.format("GET", string.format("/v1/reports?bbox=%.4f,%.4f,%.4f,%.4f&limit=50", lon, lat, lon + 0.1, lat + 0.06))
end
LUA
  } >"$WORK/bbox-city.lua"
  { lua_common "$n"; cat <<'LUA'
request = function()
  local lon, lat = -6 + math.random() * 6.8, 50 + math.random() * 4.8
  return wrk.format("GET", string.format("/v1/reports?bbox=%.4f,%.4f,%.4f,%.4f&limit=50", lon, lat, lon + 1.2, lat + 0.9))
end
LUA
  } >"$WORK/bbox-county.lua"
  { lua_common "$n"; cat <<'LUA'
request = function()
  local i, j = district()
  local lon, lat = -6 + 0.4 * (i + 0.1 + 0.8 * math.random()), 50 + 0.3 * (j + 0.1 + 0.8 * math.random())
  return wrk.format("GET", string.format("/v1/reports/nearby?lat=%.5f&lon=%.5f&category=fly_tipping", lat, lon))
end
LUA
  } >"$WORK/nearby.lua"
  # A council's open cases of one category, newest first (as a back office or the console asks).
  { lua_common "$n"; cat <<'LUA'
local statuses = { "open", "in_progress", "open,investigating,in_progress,action_scheduled", "fixed" }
request = function()
  local i, j = district()
  return wrk.format("GET", string.format("/v1/reports?council=district-%d-%d&status=%s&category=fly_tipping&limit=50",
    i, j, statuses[math.random(1, #statuses)]))
end
LUA
  } >"$WORK/council-list.lua"
  { lua_common "$n"; cat <<LUA
request = function()
  local i, j = district()
  return wrk.format("GET", string.format("/open311/v2/requests.xml?jurisdiction_id=district-%d-%d&start_date=$since90&end_date=$now_", i, j))
end
LUA
  } >"$WORK/open311.lua"
  # The busiest district's payments of a day in the last 90 days, as its revenues team checks
  # them (yesterday's every morning, older ones when a payer disputes one).
  { lua_common "$n"; cat <<LUA
request = function()
  local day = os.date("!%Y-%m-%d", os.time() - math.random(1, 90) * 86400)
  return wrk.format("GET", "/v1/councils/district-0-0/payments/reconciliation?date=" .. day, { Authorization = "Bearer $STAFF_KEY" })
end
LUA
  } >"$WORK/reconciliation.lua"
}

# Intake: reports anywhere on the map, routed by the real boundaries.
cp scripts/bench-scale/intake.lua "$WORK/post.lua"
export CLIENT_KEY

start_server() {
  RATE_LIMIT_WRITES_PER_MINUTE=1000000 RATE_LIMIT_READS_PER_MINUTE=1000000 RATE_LIMIT_TRACKING_PER_MINUTE=1000000 \
    LOG_LEVEL=warning HTTP_PORT=$PORT DB_POOL_SIZE=${BENCH_POOL:-16} "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return; sleep 0.1; done
  echo "bench-scale: the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

declare -A FIGURES
wrk_row() { # key, connections, wrk args → "rate p99 non2xx" into FIGURES[key]
  local key=$1 connections=$2; shift 2
  local threads=$((connections > 1 ? 2 : 1))
  wrk -t"$threads" -c"$connections" -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>&1 || true
  FIGURES[$key]="$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") $(awk '/ 99%/ {print $2}' "$WORK/wrk.txt") $(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt" | grep . || echo 0)"
}
READS="by-id timeline bbox-city bbox-county nearby council-list open311 reconciliation"
measure() { # phase name, reports known
  write_reads "$2"
  start_server
  for read in $READS; do
    wrk_row "$1/$read/1" 1 -s "$WORK/$read.lua"
    wrk_row "$1/$read/32" "$CONNECTIONS" -s "$WORK/$read.lua"
  done
  wrk_row "$1/intake/32" "$CONNECTIONS" -s "$WORK/post.lua"
  stop_server
}

if [ "$REUSE" != 1 ]; then
# The nearly empty database: the sample of reports, indexes in place.
$Q -c "SELECT bench.reports(1, $SAMPLE, $SAMPLE)" >/dev/null
$Q -c "VACUUM ANALYZE" >/dev/null
measure empty "$SAMPLE"

# Ten million: the tables' own indexes are dropped while rows are loaded and built again after
# (as an import would), the triggers that only notify or queue messages are off meanwhile (no
# council here sends any), and each million is its own transaction.
START=$(now)
$Q -c "SELECT indexdef FROM pg_indexes i
       WHERE tablename IN ('reports', 'report_events', 'dispatch_jobs', 'payment_intents') AND schemaname = 'public'
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)" \
  >"$WORK/indexes.sql"
$Q -c "SELECT 'DROP INDEX ' || indexname || ';' FROM pg_indexes i
       WHERE tablename IN ('reports', 'report_events', 'dispatch_jobs', 'payment_intents') AND schemaname = 'public'
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)" \
  | $Q >/dev/null
$Q -c "ALTER TABLE report_events DISABLE TRIGGER USER" -c "ALTER TABLE dispatch_jobs DISABLE TRIGGER USER" >/dev/null
CHUNK=1000000
lo=$((SAMPLE + 1))
while [ "$lo" -le "$REPORTS" ]; do
  hi=$((lo + CHUNK - 1)); [ "$hi" -gt "$REPORTS" ] && hi=$REPORTS
  $Q -c "SELECT bench.reports($lo, $hi, $REPORTS)" >/dev/null
  printf '  %s reports loaded (%s s)\n' "$hi" "$(since "$START")"
  lo=$((hi + 1))
done
# Council-tax payments, one for every five reports.
$Q -c "SELECT bench.payments(1, $((REPORTS / 5)), $((REPORTS / 5)))" >/dev/null
printf '  %s payments loaded (%s s)\n' "$((REPORTS / 5))" "$(since "$START")"
LOADED=$(since "$START")
$Q -c "ALTER TABLE report_events ENABLE TRIGGER USER" -c "ALTER TABLE dispatch_jobs ENABLE TRIGGER USER" >/dev/null
START=$(now)
{ echo "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2;"; sed 's/$/;/' "$WORK/indexes.sql"; } | $Q >/dev/null
INDEXED=$(since "$START")
START=$(now)
$Q -c "VACUUM ANALYZE" >/dev/null
VACUUMED=$(since "$START")
echo "reports: $($Q -c "SELECT count(*) FROM reports"), events: $($Q -c "SELECT count(*) FROM report_events"), dispatch jobs: $($Q -c "SELECT count(*) FROM dispatch_jobs"), payments: $($Q -c "SELECT count(*) FROM payment_intents")"
echo "  loaded in $LOADED s, $(wc -l <"$WORK/indexes.sql") indexes built in $INDEXED s, vacuumed in $VACUUMED s; database $($Q -c "SELECT pg_size_pretty(pg_database_size('$DB'))")"
echo "  statuses: $($Q -c "SELECT string_agg(status || ' ' || share || '%', ', ' ORDER BY n DESC) FROM (
  SELECT status, n, round(100.0 * n / sum(n) OVER (), 1) AS share FROM (SELECT status, count(*) n FROM reports GROUP BY status) c) s")"
echo "  sizes: $($Q -c "SELECT string_agg(relname || ' ' || pg_size_pretty(pg_total_relation_size(oid)), ', ' ORDER BY pg_total_relation_size(oid) DESC)
  FROM pg_class WHERE relname IN ('reports', 'report_events', 'dispatch_jobs', 'payment_intents', 'councils')")"

fi
measure full "$REPORTS"

label() {
  case $1 in
    by-id) echo "GET /v1/reports/{id}" ;; timeline) echo "GET /v1/reports/{id}/timeline" ;;
    bbox-city) echo "bbox listing, city-sized" ;; bbox-county) echo "bbox listing, county-sized" ;;
    nearby) echo "GET /v1/reports/nearby" ;; council-list) echo "council list, status + category" ;;
    open311) echo "Open311 requests.xml, 90 days" ;; reconciliation) echo "a day's payment reconciliation" ;;
    intake) echo "POST /v1/reports" ;;
  esac
}
echo
printf '%-34s | %-27s | %-27s | %s\n' "" "$SAMPLE reports" "$REPORTS reports" "at size / empty"
printf '%-34s | %9s %9s %7s | %9s %9s %7s | %s\n' "(1 client: p99; 32: requests/s)" "p99 1" "req/s 32" "non2xx" "p99 1" "req/s 32" "non2xx" "rate at 32"
for read in $READS intake; do
  if [ "$read" = intake ]; then
    read -r er ep en <<<"${FIGURES[empty/intake/32]:-}"; read -r fr fp fn <<<"${FIGURES[full/intake/32]}"
    printf '%-34s | %9s %9s %7s | %9s %9s %7s | %.2f\n' "$(label $read) (p99 at 32)" "$ep" "$er" "$en" "$fp" "$fr" "$fn" "$(awk -v a="$fr" -v b="${er:-0}" 'BEGIN { print (b > 0 ? a / b : 0) }')"
  else
    read -r _ e1 en1 <<<"${FIGURES[empty/$read/1]:-}"; read -r er _ en <<<"${FIGURES[empty/$read/32]:-}"
    read -r _ f1 fn1 <<<"${FIGURES[full/$read/1]}"; read -r fr _ fn <<<"${FIGURES[full/$read/32]}"
    printf '%-34s | %9s %9s %7s | %9s %9s %7s | %.2f\n' "$(label $read)" "$e1" "$er" "$((${en:-0} + ${en1:-0}))" "$f1" "$fr" "$((fn + fn1))" "$(awk -v a="$fr" -v b="${er:-0}" 'BEGIN { print (b > 0 ? a / b : 0) }')"
  fi
done
echo "(targets: each read's p99 ≤ 50 ms at one client; intake at size within 20 % of the empty database's rate)"

# The plans at size, as PostgreSQL ran them for the service: auto_explain logs each statement's
# plan (with its rows and times) while one request of each read is made, at a busy place and a
# quiet one where that matters; scripts/bench-scale/plans.py prints them from the server's log.
LOGFILE=${INTAKE_PGDATA:-$ROOT/.pgdata}/server.log
RID=$($Q -c "SELECT bench.rid($REPORTS - 5000)")
SINCE90=$(date -u -d '90 days ago' +%Y-%m-%dT%H:%M:%SZ)
YESTERDAY=$(TZ=Europe/London date -d yesterday +%Y-%m-%d)
PLAN_READS=(
  "report by id|/v1/reports/$RID"
  "timeline|/v1/reports/$RID/timeline"
  "bbox, city-sized, in the busiest district|/v1/reports?bbox=-5.9,50.1,-5.8,50.16&limit=50"
  "bbox, city-sized, in a quiet district|/v1/reports?bbox=1.7,55.45,1.8,55.51&limit=50"
  "bbox, county-sized|/v1/reports?bbox=-5.9,50.1,-4.7,51.0&limit=50"
  "nearby (open fly-tipping within 250 m, 60 days)|/v1/reports/nearby?lat=50.15&lon=-5.8&category=fly_tipping"
  "council list, fixed fly-tipping|/v1/reports?council=district-0-0&status=fixed&category=fly_tipping&limit=50"
  "Open311 requests, 90 days|/open311/v2/requests.xml?jurisdiction_id=district-0-0&start_date=$SINCE90"
  "a day's payment reconciliation|/v1/councils/district-0-0/payments/reconciliation?date=$YESTERDAY"
)
explain() { # on | off
  if [ "$1" = on ]; then
    $PSQL -d postgres -c "ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain'" \
      -c "ALTER DATABASE $DB SET auto_explain.log_min_duration = 0" -c "ALTER DATABASE $DB SET auto_explain.log_analyze = on" \
      -c "ALTER DATABASE $DB SET auto_explain.log_format = json" >/dev/null
  else
    for setting in session_preload_libraries auto_explain.log_min_duration auto_explain.log_analyze auto_explain.log_format; do
      $PSQL -d postgres -c "ALTER DATABASE $DB RESET $setting" >/dev/null
    done
  fi
}
if [ ! -r "$LOGFILE" ]; then
  echo "(no plans: the server's log $LOGFILE cannot be read)"
elif ! command -v python3 >/dev/null; then
  echo "(no plans: python3 is missing)"
else
  explain on
  trap 'explain off || true; cleanup' EXIT
  start_server
  for entry in "${PLAN_READS[@]}"; do
    offset=$(stat -c %s "$LOGFILE")
    curl -s -o /dev/null -H "Authorization: Bearer $STAFF_KEY" "http://127.0.0.1:$PORT${entry#*|}"
    sleep 0.3
    echo
    echo "plan: ${entry%%|*} (${entry#*|})"
    python3 scripts/bench-scale/plans.py "$LOGFILE" "$offset"
  done
  stop_server
  explain off
  trap cleanup EXIT
fi
[ "${BENCH_SCALE_READS_ONLY:-0}" = 1 ] && exit 0

# Housekeeping at size, in the worker's bounded batches, while intake runs at half its rate at
# size: contacts of reports closed more than 30 days ago (not a year, so that hundreds of
# thousands are due), delivered jobs over a day old, attempts over a week old. The longest
# housekeeping statement (each its own transaction; sampled every 20 ms) bounds the longest lock.
HALF=$(awk -v r="${FIGURES[full/intake/32]%% *}" 'BEGIN { h = int(r / 2); printf "%d", h < 1 ? 1 : h }')
DELAY_MS=$(awk -v c="$CONNECTIONS" -v r="$HALF" 'BEGIN { printf "%d", 1000 * c / r }')
sed "s/^request = function()/function delay() return $DELAY_MS end\nrequest = function()/" "$WORK/post.lua" >"$WORK/half.lua"
due() {
  $Q -c "SELECT (SELECT count(*) FROM reports WHERE closed_at < now() - interval '30 days' AND contact_erased_at IS NULL) || ' ' ||
    (SELECT count(*) FROM dispatch_jobs WHERE state = 'done' AND finished_at < now() - interval '1 day') || ' ' ||
    (SELECT count(*) FROM dispatch_attempts WHERE started_at < now() - interval '7 days')"
}
read -r DUE_CONTACTS DUE_JOBS DUE_ATTEMPTS <<<"$(due)"
# The payment expiry sweep's batch query (the intents it asks the provider about, those never
# checked first), before housekeeping's own sweep takes them.
SWEEP_MS=$($Q -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM payment_intents WHERE state IN ('created', 'pending') AND expires_at <= now()
                  ORDER BY expiry_checked_at NULLS FIRST, expires_at LIMIT 100" | grep -o '"Execution Time": [0-9.]*' | awk '{print $3}')
SWEEP_DUE=$($Q -c "SELECT count(*) FROM payment_intents WHERE state IN ('created', 'pending') AND expires_at <= now()")
HK_LIMIT=$((DURATION * 3))
start_server
wrk_row housekeeping/warm-up "$CONNECTIONS" -s "$WORK/half.lua" # a fresh server's first seconds, not counted
wrk_row housekeeping/without "$CONNECTIONS" -s "$WORK/half.lua"
HK_START=$(now)
CONTACT_RETENTION_DAYS=30 LOG_LEVEL=warning timeout "$HK_LIMIT" "$BIN" housekeeping >"$WORK/housekeeping.txt" 2>&1 &
HK_PID=$!
$Q -c "DO \$\$
  DECLARE erasing float8 := 0; pruning float8 := 0; deadline timestamptz := clock_timestamp() + interval '$HK_LIMIT seconds';
  BEGIN
    WHILE clock_timestamp() < deadline LOOP
      PERFORM pg_stat_clear_snapshot();
      SELECT greatest(erasing, COALESCE(max(extract(epoch FROM clock_timestamp() - xact_start))
                                   FILTER (WHERE query LIKE '%contact_erased_at = now()%'), 0)),
             greatest(pruning, COALESCE(max(extract(epoch FROM clock_timestamp() - xact_start))
                                   FILTER (WHERE query LIKE '%DELETE FROM dispatch_jobs WHERE id IN%'), 0))
      INTO erasing, pruning
      FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state <> 'idle';
      PERFORM pg_sleep(0.02);
    END LOOP;
    RAISE NOTICE 'longest % %', round(erasing::numeric * 1000, 1), round(pruning::numeric * 1000, 1);
  END \$\$" 2>"$WORK/longest.txt" &
SAMPLER=$!
wrk_row housekeeping/during "$CONNECTIONS" -s "$WORK/half.lua"
HK_STATUS=0; wait "$HK_PID" || HK_STATUS=$?
HK_PID=
case $HK_STATUS in
  0) HK_DONE=finished ;; 124) HK_DONE="stopped at the ${HK_LIMIT} s limit" ;; *) HK_DONE="failed (exit $HK_STATUS)" ;;
esac
HK_SECONDS=$(since "$HK_START")
wait "$SAMPLER" || true
SAMPLER=
stop_server
read -r LEFT_CONTACTS LEFT_JOBS LEFT_ATTEMPTS <<<"$(due)"
read -r _ wp99 _ <<<"${FIGURES[housekeeping/without]}"; read -r _ dp99 _ <<<"${FIGURES[housekeeping/during]}"
echo
HK_SUMMARY=$(tail -1 "$WORK/housekeeping.txt")
echo "housekeeping at size (intake at $HALF/s alongside): ${HK_SUMMARY:+$HK_SUMMARY, }$HK_DONE after $HK_SECONDS s"
printf '  %-44s %10s → %s left\n' "contacts due for erasure" "$DUE_CONTACTS" "$LEFT_CONTACTS"
printf '  %-44s %10s → %s left\n' "delivered jobs over a day old" "$DUE_JOBS" "$LEFT_JOBS"
printf '  %-44s %10s → %s left\n' "attempts over a week old" "$DUE_ATTEMPTS" "$LEFT_ATTEMPTS"
read -r LONGEST_ERASING LONGEST_PRUNING <<<"$(grep -o 'longest [0-9. ]*' "$WORK/longest.txt" | awk '{print $2, $3}')"
printf '  %-44s %10s ms erasing contacts, %s ms pruning jobs and attempts\n' "longest statement (how long its locks are held)" "$LONGEST_ERASING" "$LONGEST_PRUNING"
printf '  %-44s %10s ms for %s intents past their expiry\n' "payment expiry sweep's batch query" "$SWEEP_MS" "$SWEEP_DUE"
printf '  %-44s %10s without, %s during\n' "intake p99 at half rate" "$wp99" "$dp99"

# Several replicas on this database.
echo
REPLICAS=0
BENCH_DB=$DB BENCH_SECONDS=$DURATION scripts/bench-scale-replicas.sh || REPLICAS=$?

exit "$REPLICAS"
