#!/usr/bin/env bash
# Several replicas on one database (`make bench-scale` runs it on the national-scale data; alone,
# it makes its own database with the same 400 councils): two `intake serve` behind HAProxy (from
# Debian's packages, installed if missing) and two `intake worker`, every council's cases going
# to a signed webhook (the local sink, which verifies and records each delivery). Measures the
# intake rate through the balancer, then sends 300 cases with three reporter comments each
# through it, and checks that every job was delivered once and each case's came in order.
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
cp scripts/bench-scale/intake.lua "$WORK/post.lua"
export CLIENT_KEY
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$BALANCER" >"$WORK/wrk.txt"
RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P99=$(awk '/ 99%/ {print $2}' "$WORK/wrk.txt")
SENT=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt" | grep . || echo 0)

# 300 more cases through the balancer, each followed by three comments from its reporter
# (X-Tracking-Token), each sent after the last was answered, many cases at once, so that one
# case's requests land on both replicas: its four deliveries (case.created, then case.comment
# three times) must arrive in that order. (A back office's own status changes are not sent back
# to it, so they would not test the order.)
cat >"$WORK/follow.sh" <<'SH'
#!/usr/bin/env bash
port=$1 key=$2 n=$3
lon=$(awk -v n="$n" 'BEGIN { srand(n); printf "%.5f", -5.95 + 7.8 * rand() }')
lat=$(awk -v n="$n" 'BEGIN { srand(n * 7); printf "%.5f", 50.05 + 5.6 * rand() }')
created=$(curl -sf -X POST "http://127.0.0.1:$port/v1/reports" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "{\"category\": \"fly_tipping\", \"location\": {\"lat\": $lat, \"lon\": $lon}, \"description\": \"Followed case $n\"}") \
  || { echo "failed to create case $n"; exit 0; }
read -r id token < <(printf '%s' "$created" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["id"], d["tracking_token"])')
for k in 1 2 3; do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/reports/$id/updates" -H "Authorization: Bearer $key" \
    -H "X-Tracking-Token: $token" -H 'Content-Type: application/json' -d "{\"comment\": \"Still there, day $k.\"}" \
    || echo "failed comment $k on $id"
done
echo "case $id"
SH
chmod +x "$WORK/follow.sh"
seq 1 300 | xargs -P 16 -n 1 "$WORK/follow.sh" "$BALANCER" "$CLIENT_KEY" >"$WORK/moves.txt"
CASES=$(grep -c '^case ' "$WORK/moves.txt" || true)
MOVE_FAILURES=$(grep -c failed "$WORK/moves.txt" || true)
STORED=$($Q -c "SELECT count(*) FROM reports WHERE created_at >= '$STARTED_AT'")

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
printf '  %-52s %s cases × 3, %s failed\n' "reporters' comments through the balancer" "$CASES" "$MOVE_FAILURES"
printf '  %-52s %s jobs; lost %s, duplicated %s, unexpected %s, still waiting %s\n' "webhook deliveries (signed, verified)" "$JOBS" "$LOST" "$DUPLICATED" "$UNEXPECTED" "$UNDELIVERED"
printf '  %-52s %s out of order, %s bad signatures\n' "per-case order at the sink" "$OUT_OF_ORDER" "${BAD_SIGNATURES:-?}"
# Every report and every comment is one job: the jobs must be exactly those.
EXPECTED_JOBS=$((STORED + 3 * CASES))
printf '  %-52s %s (%s reports + 3 × %s comments)\n' "jobs expected" "$EXPECTED_JOBS" "$STORED" "$CASES"
[ "$SENT" -gt 0 ] && [ "$NON2XX" = 0 ] && [ "$STORED" -ge "$((SENT - NON2XX + 300))" ] && [ "$CASES" = 300 ] && [ "$JOBS" = "$EXPECTED_JOBS" ] \
  && [ "$LOST" = 0 ] && [ "$DUPLICATED" = 0 ] && [ "$UNEXPECTED" = 0 ] && [ "$OUT_OF_ORDER" = 0 ] && [ "$UNDELIVERED" = 0 ] \
  && [ "$MOVE_FAILURES" = 0 ] && [ "${BAD_SIGNATURES:-1}" = 0 ] \
  || { echo "bench-scale-replicas: intakes or deliveries were lost, repeated or out of order" >&2; exit 1; }
