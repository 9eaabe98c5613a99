#!/usr/bin/env bash
# Several replicas on one database (`make bench-scale` runs it on the national-scale data; alone,
# it makes its own database with the same 400 councils): two `intake serve` behind HAProxy (from
# Debian's packages, installed if missing) and two `intake worker`, every council's cases going
# to a signed webhook (the local sink, which verifies and records each delivery). Measures the
# intake rate through the balancer, then moves 300 cases through three statuses each through
# it, and checks that every job was delivered once and each case's deliveries came in order.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
SINK_BIN=${SINK_BIN:-.build/release/webhook-sink}
DURATION=${BENCH_SECONDS:-10}
CONNECTIONS=32
BALANCER=${BENCH_PORT:-18100}
SERVE_PORTS=($((BALANCER + 1)) $((BALANCER + 2)))
SINK_PORT=$((BALANCER + 3))
PGPORT=${INTAKE_PG_PORT:-54329}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PGPORT -U intake"
WORK=$(mktemp -d)
PIDS=()
OWN_DB=0
if [ -z "${BENCH_DB:-}" ]; then OWN_DB=1; BENCH_DB=intake_bench_replicas; fi
DB=$BENCH_DB
Q="$PSQL -d $DB -tA"
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  [ "$OWN_DB" = 1 ] && $PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
install() { # package
  echo "installing $1" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
}
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || install haproxy
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
command -v wrk >/dev/null || install wrk
export DATABASE_URL="postgres://intake@127.0.0.1:$PGPORT/$DB?sslmode=disable"
if [ "$OWN_DB" = 1 ]; then
  $PSQL -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  LOG_LEVEL=warning "$BIN" migrate >/dev/null
  $PSQL -d "$DB" -f scripts/bench-scale/generate.sql >/dev/null
  $Q -c "VACUUM ANALYZE" >/dev/null
fi
CLIENT_KEY=$(LOG_LEVEL=warning "$BIN" keys create --role client --label bench-replicas | grep -o 'ci_[A-Za-z0-9_]*' | head -1)

# Every council's cases to the sink, signed; whatever was still waiting is set aside.
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
$Q -c "UPDATE destinations SET kind = 'webhook', url = 'http://127.0.0.1:$SINK_PORT/hook', secret = '$SECRET' WHERE name = 'cases'" \
  -c "UPDATE dispatch_jobs SET state = 'done', finished_at = now() WHERE state IN ('pending', 'running')" >/dev/null
FIRST_JOB=$($Q -c "SELECT COALESCE(max(id), 0) FROM dispatch_jobs")
STARTED_AT=$($Q -c "SELECT now()")

SINK_PORT=$SINK_PORT WEBHOOK_SECRET=$SECRET SINK_RECORD=1 "$SINK_BIN" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
for port in "${SERVE_PORTS[@]}"; do
  RATE_LIMIT_WRITES_PER_MINUTE=1000000 RATE_LIMIT_READS_PER_MINUTE=1000000 RATE_LIMIT_TRACKING_PER_MINUTE=1000000 \
    LOG_LEVEL=warning HTTP_PORT=$port DB_POOL_SIZE=12 "$BIN" serve >>"$WORK/serve-$port.log" 2>&1 &
  PIDS+=($!)
done
for n in 1 2; do
  DESTINATIONS_ALLOW_HTTP=true DESTINATIONS_ALLOW_PRIVATE=true LOG_LEVEL=warning DB_POOL_SIZE=8 "$BIN" worker >>"$WORK/worker-$n.log" 2>&1 &
  PIDS+=($!)
done
cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend intake
  bind 127.0.0.1:$BALANCER
  default_backend serve
backend serve
  balance roundrobin
  option httpchk GET /health/ready
  server serve-1 127.0.0.1:${SERVE_PORTS[0]} check inter 1s
  server serve-2 127.0.0.1:${SERVE_PORTS[1]} check inter 1s
CFG
"$HAPROXY" -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
for port in "${SERVE_PORTS[@]}" "$BALANCER"; do
  ready=0
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && { ready=1; break; }; sleep 0.1; done
  [ "$ready" = 1 ] || { echo "bench-scale-replicas: nothing ready on port $port" >&2; tail -5 "$WORK"/*.log >&2; exit 1; }
done
sleep 2 # the balancer's first health checks

# Intake through the balancer.
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CLIENT_KEY"
setup = function(thread) thread:set("seed", math.random(1, 1000000000)) end
init = function() math.randomseed(seed) end
local n = 0
request = function()
  n = n + 1
  local cell = (math.floor(380 * math.random() ^ 2.2) * 151) % 380
  local i, j = math.floor(cell / 19), cell % 19
  local lon, lat = -6 + 0.4 * (i + 0.1 + 0.8 * math.random()), 50 + 0.3 * (j + 0.1 + 0.8 * math.random())
  local body = string.format('{"category":"fly_tipping","location":{"lat":%.5f,"lon":%.5f},"description":"Bags dumped by the gate, number %d","reporter":{"name":"Bench Tester","email":"bench@example.org"}}', lat, lon, n)
  return wrk.format(nil, "/v1/reports", nil, body)
end
LUA
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$BALANCER" >"$WORK/wrk.txt"
RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P99=$(awk '/ 99%/ {print $2}' "$WORK/wrk.txt")
SENT=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt" | grep . || echo 0)
STORED=$($Q -c "SELECT count(*) FROM reports WHERE created_at >= '$STARTED_AT'")

# Three status changes for each of 300 new cases (the ten councils with the most), in order per
# case, many cases at once, through the balancer (so each case's changes land on both replicas).
$Q -c "SELECT r.id, c.slug FROM (
         SELECT r.id, r.council_id, row_number() OVER (PARTITION BY r.council_id ORDER BY r.created_at) AS k
         FROM reports r WHERE r.created_at >= '$STARTED_AT') r
       JOIN councils c ON c.id = r.council_id
       WHERE r.council_id IN (SELECT council_id FROM reports WHERE created_at >= '$STARTED_AT' GROUP BY council_id ORDER BY count(*) DESC LIMIT 10)
         AND r.k <= 30" -F' ' >"$WORK/cases.txt"
for slug in $(awk '{print $2}' "$WORK/cases.txt" | sort -u); do
  echo "$slug $(LOG_LEVEL=warning "$BIN" keys create --role backoffice --council "$slug" --label bench-replicas | grep -o 'ci_[A-Za-z0-9_]*' | head -1)"
done >"$WORK/keys.txt"
cat >"$WORK/move.sh" <<'SH'
#!/usr/bin/env bash
# One case through three statuses, each after the last was answered.
id=$1 key=$2 port=$3
for status in investigating in_progress fixed; do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/backoffice/cases/$id/status" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "{\"status\": \"$status\", \"public_note\": \"Now $status.\"}" || echo "failed $id $status"
done
SH
chmod +x "$WORK/move.sh"
awk 'NR == FNR { key[$1] = $2; next } { print $1, key[$2] }' "$WORK/keys.txt" "$WORK/cases.txt" \
  | xargs -P 16 -n 2 sh -c "\"$WORK/move.sh\" \"\$0\" \"\$1\" $BALANCER" >"$WORK/moves.txt"
CASES=$(wc -l <"$WORK/cases.txt")
MOVE_FAILURES=$(grep -c failed "$WORK/moves.txt" || true)

# Every job of the run delivered (the workers drain them), then the sink's record compared.
deadline=$((SECONDS + 180))
while [ "$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE id > $FIRST_JOB AND state <> 'done'")" != 0 ] && [ $SECONDS -lt $deadline ]; do sleep 1; done
sleep 1
curl -sf "http://127.0.0.1:$SINK_PORT/deliveries" | grep -v '^$' >"$WORK/deliveries.txt" || true
$Q -c "SELECT message_id FROM dispatch_jobs WHERE id > $FIRST_JOB" | sort >"$WORK/expected.txt"
awk '{print $3}' "$WORK/deliveries.txt" | sort >"$WORK/delivered.txt"
JOBS=$(wc -l <"$WORK/expected.txt")
UNDELIVERED=$($Q -c "SELECT count(*) FROM dispatch_jobs WHERE id > $FIRST_JOB AND state <> 'done'")
LOST=$(comm -23 "$WORK/expected.txt" <(sort -u "$WORK/delivered.txt") | wc -l)
DUPLICATED=$(uniq -d "$WORK/delivered.txt" | wc -l)
UNEXPECTED=$(comm -13 "$WORK/expected.txt" <(sort -u "$WORK/delivered.txt") | wc -l)
# Per case, in arrival order, each event id must be above the one before.
OUT_OF_ORDER=$(awk '{ if ($1 in last && $2 + 0 <= last[$1]) bad++; last[$1] = $2 + 0 } END { print bad + 0 }' "$WORK/deliveries.txt")
BAD_SIGNATURES=$(curl -sf "http://127.0.0.1:$SINK_PORT/count" | awk '{print $2}')

echo "two intake serve behind HAProxy, two intake worker, one database ($($Q -c "SELECT count(*) FROM reports") reports)"
printf '  %-52s %s/s, p99 %s, %s of %s not 2xx\n' "POST /v1/reports through the balancer (32 conn.)" "$RATE" "$P99" "$NON2XX" "$SENT"
printf '  %-52s %s (every 2xx is a stored report: %s)\n' "reports stored in the run" "$STORED" "$([ "$STORED" -ge "$((SENT - NON2XX))" ] && echo yes || echo NO)"
printf '  %-52s %s cases × 3, %s failed\n' "status changes through the balancer" "$CASES" "$MOVE_FAILURES"
printf '  %-52s %s jobs; lost %s, duplicated %s, unexpected %s, still waiting %s\n' "webhook deliveries (signed, verified)" "$JOBS" "$LOST" "$DUPLICATED" "$UNEXPECTED" "$UNDELIVERED"
printf '  %-52s %s out of order, %s bad signatures\n' "per-case order at the sink" "$OUT_OF_ORDER" "${BAD_SIGNATURES:-?}"
# Every intake and every status change is one job: the jobs must be exactly those.
EXPECTED_JOBS=$((STORED + 3 * CASES))
printf '  %-52s %s (%s reports + 3 × %s cases)\n' "jobs expected" "$EXPECTED_JOBS" "$STORED" "$CASES"
[ "$SENT" -gt 0 ] && [ "$NON2XX" = 0 ] && [ "$STORED" -ge "$((SENT - NON2XX))" ] && [ "$CASES" = 300 ] && [ "$JOBS" = "$EXPECTED_JOBS" ] \
  && [ "$LOST" = 0 ] && [ "$DUPLICATED" = 0 ] && [ "$UNEXPECTED" = 0 ] && [ "$OUT_OF_ORDER" = 0 ] && [ "$UNDELIVERED" = 0 ] \
  && [ "$MOVE_FAILURES" = 0 ] && [ "${BAD_SIGNATURES:-1}" = 0 ] \
  || { echo "bench-scale-replicas: intakes or deliveries were lost, repeated or out of order" >&2; exit 1; }
