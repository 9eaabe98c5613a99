#!/usr/bin/env bash
# Fault drills (`make drills`): each starts its own PostgreSQL cluster and `intake dev` on
# loopback, puts load on it, breaks something, stops by itself, prints one line of figures and
# fails (exit 1) if a rule is broken. Usage: scripts/drills.sh [restart|outage|kill|exhaust|storm ...]
# (default: all). INTAKE_BIN picks the binary (default .build/debug/intake).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${INTAKE_BIN:-.build/debug/intake}
WORK=$(mktemp -d /tmp/intake-drills.XXXXXX)
chmod 755 "$WORK"  # the postgres user (as root) must reach its cluster inside
export INTAKE_PG_PORT=${DRILL_PG_PORT:-54339}
export INTAKE_PGDATA=$WORK/pg
export INTAKE_PG_DB=intake_drill
export INTAKE_SECRETS_KEY_FILE=$WORK/secrets-key
DB="scripts/db.sh"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
ACQUIRE=${DRILL_ACQUIRE_TIMEOUT:-2}
PORT=${DRILL_HTTP_PORT:-18091}
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  $DB down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$BIN" ] || { echo "drills: $BIN is missing (make build)" >&2; exit 2; }
$DB up >/dev/null 2>&1
eval "$($DB env)"
"$BIN" migrate >/dev/null
SEED=$(LOG_LEVEL=warning "$BIN" seed-demo)
CLIENT_KEY=$(awk '/^client key/ {print $NF}' <<<"$SEED")
BACKOFFICE_KEY=$(awk '/^backoffice key for barchester/ {print $NF}' <<<"$SEED")
# The service runs as an ordinary role with the rights README's "Database role" lists, as in a
# deployment: a superuser may use the connections PostgreSQL reserves for superusers, so it would
# never meet a full server.
psql -X -q -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -d "$INTAKE_PG_DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE ROLE intake_service LOGIN NOSUPERUSER;
GRANT USAGE ON SCHEMA public TO intake_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO intake_service;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO intake_service;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO intake_service;
SQL
SERVICE_DATABASE_URL=${DATABASE_URL/\/\/intake@/\/\/intake_service@}
now() { date +%s.%N; }

start_server() {
  DB_ACQUIRE_TIMEOUT=$ACQUIRE DB_CONNECT_TIMEOUT=5 LOG_LEVEL=${DRILL_LOG_LEVEL:-warning} WORKER_POLL_INTERVAL=0.2 \
    RATE_LIMIT_WRITES_PER_MINUTE=0 RATE_LIMIT_READS_PER_MINUTE=0 DESTINATIONS_ALLOW_HTTP=true DESTINATIONS_ALLOW_PRIVATE=true \
    DATABASE_URL=$SERVICE_DATABASE_URL "$BIN" dev --http-port "$PORT" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return; sleep 0.1; done
  echo "drills: the server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1
}

# SIGTERM must end the process within 10 s; prints the seconds it took.
stop_server() {
  local started
  started=$(now)
  kill -TERM "$SERVER_PID"
  for _ in $(seq 1 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then python3 -c "print(f'{$(now) - $started:.1f}')"; return 0; fi
    sleep 0.1
  done
  # Where it is stuck, for whoever reads the failure.
  if command -v gdb >/dev/null 2>&1; then
    gdb -batch -p "$SERVER_PID" -ex "thread apply all bt 30" >"$WORK/hung-stacks.txt" 2>&1 || true
    cp "$WORK/hung-stacks.txt" "${DRILL_STACKS:-/tmp/intake-drill-hung-stacks.txt}" 2>/dev/null || true
  fi
  cp "$WORK/server.log" /tmp/intake-drill-server.log 2>/dev/null || true
  echo "HUNG"
  return 0
}

wait_ready_db() {
  for _ in $(seq 1 300); do
    if psql -X -q -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -d "$INTAKE_PG_DB" -tAc "SELECT 1" >/dev/null 2>&1; then return; fi
    sleep 0.05
  done
  echo "drills: PostgreSQL did not come back" >&2; exit 1
}

# ids of the accepted reports that are in the database with their dispatch job
stored_ids() {
  python3 -c "import json,sys; print('\n'.join(r['id'] for r in map(json.loads, open(sys.argv[1])) if r.get('id')))" "$1" >"$WORK/ids"
  psql -X -q -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -d "$INTAKE_PG_DB" -tA \
    -c "CREATE TEMP TABLE ids (id uuid)" -c "\\copy ids FROM '$WORK/ids'" \
    -c "SELECT r.id FROM reports r JOIN ids USING (id) WHERE EXISTS (SELECT 1 FROM dispatch_jobs j WHERE j.report_id = r.id)"
}

# Waits up to a minute for every job of destination $1 to be done; prints how many are not.
jobs_left_after_waiting() {
  local left=1
  for _ in $(seq 1 300); do
    left=$(psql -X -q -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -d "$INTAKE_PG_DB" -tAc \
      "SELECT count(*) FROM dispatch_jobs j JOIN destinations d ON d.id = j.destination_id WHERE d.name = '$1' AND j.state <> 'done'")
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  echo "$left"
}

# A drill: load for $2 seconds; after $3 seconds run the fault ($1: restart | outage).
drill() {
  local name=$1 seconds=$2 at=$3 back stop_seconds hook_port=$((PORT + 2))
  start_server
  if [ "$name" = outage ]; then
    # The worker must resume pushing by itself: the cases go to a webhook for this drill.
    python3 scripts/drills/receiver.py --port "$hook_port" --out "$WORK/outage-deliveries.jsonl" &
    PIDS+=($!)
    local admin
    admin=$("$BIN" keys create --role admin | awk '{print $NF}')
    curl -sf -X POST "http://127.0.0.1:$PORT/v1/councils/barchester/destinations" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' \
      -d "{\"name\": \"outage-hook\", \"kind\": \"webhook\", \"default\": true, \"url\": \"http://127.0.0.1:$hook_port/hook\", \"timeout_seconds\": 2}" \
      >/dev/null || { echo "drill $name: FAILED: could not create the webhook destination"; return 1; }
  fi
  python3 scripts/drills/load.py --port "$PORT" --client-key "$CLIENT_KEY" --backoffice-key "$BACKOFFICE_KEY" \
    --seconds "$seconds" --timeout 15 --out "$WORK/$name.jsonl" &
  local load=$!
  PIDS+=("$load")
  sleep "$at"
  case $name in
    restart) $DB down >/dev/null; $DB up >/dev/null 2>&1 ;;
    outage) $DB down >/dev/null; sleep 30; $DB up >/dev/null 2>&1 ;;
  esac
  wait_ready_db
  back=$(now)
  wait "$load"
  local status=0 extra=""
  if [ "$name" = outage ]; then
    local left
    left=$(jobs_left_after_waiting outage-hook)
    extra=$(python3 scripts/drills/deliveries.py "$WORK/$name.jsonl" "$WORK/outage-deliveries.jsonl") || status=1
    [ "$left" = 0 ] || { extra="$extra -- FAILED: $left jobs not done a minute after the load"; status=1; }
  fi
  stop_seconds=$(stop_server)
  stored_ids "$WORK/$name.jsonl" >"$WORK/$name.stored"
  python3 scripts/drills/check.py --name "$name" --requests "$WORK/$name.jsonl" --stored "$WORK/$name.stored" \
    --back-at "$back" --max-failure-seconds "$(python3 -c "print($ACQUIRE + 1)")" --recover-within 5 \
    --extra "$extra, SIGTERM exit in ${stop_seconds} s" || status=1
  if [ "$stop_seconds" = HUNG ]; then echo "drill $name: FAILED: SIGTERM did not stop the process within 10 s"; status=1; fi
  return $status
}

# kill -9 of the worker mid-delivery and of the API mid-intake, under intake load, with a webhook
# destination: nothing acknowledged is lost, every case is delivered (at least once, with one
# webhook-id), and connection errors only while the API is down.
drill_kill() {
  local hook_port=$((PORT + 1)) admin
  python3 scripts/drills/receiver.py --port "$hook_port" --out "$WORK/deliveries.jsonl" &
  PIDS+=($!)
  admin=$("$BIN" keys create --role admin | awk '{print $NF}')
  local env=(DATABASE_URL=$SERVICE_DATABASE_URL DB_ACQUIRE_TIMEOUT=$ACQUIRE LOG_LEVEL=warning WORKER_POLL_INTERVAL=0.2 WORKER_LEASE_MARGIN=2
    DESTINATIONS_ALLOW_HTTP=true DESTINATIONS_ALLOW_PRIVATE=true RATE_LIMIT_WRITES_PER_MINUTE=0 RATE_LIMIT_READS_PER_MINUTE=0)
  start_api() {
    env "${env[@]}" "$BIN" serve --http-port "$PORT" >>"$WORK/api.log" 2>&1 &
    API_PID=$!
    PIDS+=("$API_PID")
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return; sleep 0.05; done
  }
  start_worker() {
    env "${env[@]}" "$BIN" worker >>"$WORK/worker.log" 2>&1 &
    WORKER_PID=$!
    PIDS+=("$WORKER_PID")
  }
  start_api
  curl -sf -X POST "http://127.0.0.1:$PORT/v1/councils/barchester/destinations" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' \
    -d "{\"name\": \"hook\", \"kind\": \"webhook\", \"default\": true, \"url\": \"http://127.0.0.1:$hook_port/hook\", \"timeout_seconds\": 2}" >/dev/null
  start_worker
  python3 scripts/drills/load.py --port "$PORT" --client-key "$CLIENT_KEY" --backoffice-key "$BACKOFFICE_KEY" \
    --seconds 12 --timeout 15 --readers 0 --receivers 0 --out "$WORK/kill.jsonl" &
  local load=$!
  PIDS+=("$load")
  sleep 3; kill -9 "$WORKER_PID"; sleep 2; start_worker
  sleep 2; local down_from; down_from=$(now); kill -9 "$API_PID"; sleep 1; start_api; local down_until; down_until=$(now)
  wait "$load"
  # Every job done (a killed worker's lease runs out after the timeout plus the margin).
  local left
  left=$(jobs_left_after_waiting hook)
  kill -TERM "$API_PID" "$WORKER_PID" 2>/dev/null || true
  stored_ids "$WORK/kill.jsonl" >"$WORK/kill.stored"
  local extra status=0
  extra=$(python3 scripts/drills/deliveries.py "$WORK/kill.jsonl" "$WORK/deliveries.jsonl") || status=1
  [ "$left" = 0 ] || { extra="$extra -- FAILED: $left jobs not done a minute after the load"; status=1; }
  python3 scripts/drills/check.py --name kill --requests "$WORK/kill.jsonl" --stored "$WORK/kill.stored" \
    --back-at "$down_until" --max-failure-seconds "$(python3 -c "print($ACQUIRE + 1)")" --recover-within 5 \
    --connection-errors-from "$down_from" --connection-errors-until "$down_until" --back-label "the API came back" \
    --extra "$extra" || status=1
  return $status
}

# Every free connection slot taken by another client, and the service's own sessions ended:
# its new connections are refused ("too many clients") until the other client lets go.
drill_exhaust() {
  local back status=0 stop_seconds q
  q() { psql -X -q -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -d "$INTAKE_PG_DB" -tAc "$1"; }
  start_server
  python3 scripts/drills/load.py --port "$PORT" --client-key "$CLIENT_KEY" --backoffice-key "$BACKOFFICE_KEY" \
    --seconds 16 --timeout 15 --out "$WORK/exhaust.jsonl" &
  local load=$!
  PIDS+=("$load")
  sleep 3
  local free filler full
  # Every connection an ordinary role may open is taken by another client. The service's
  # sessions must end first (a pool keeps the connections it has), and while they end and the
  # other client connects, the service's role may open none (or it would take them back).
  q "ALTER ROLE intake_service CONNECTION LIMIT 0" >/dev/null
  q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'intake_service'" >/dev/null
  free=$(q "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - count(*) + 1 FROM pg_stat_activity WHERE backend_type = 'client backend'")
  # One pgbench process holds them (a psql per connection would start hundreds of processes on
  # a machine of two cores and starve the server of CPU, which is not what this drill is about).
  echo "SELECT pg_sleep(6);" >"$WORK/filler.sql"
  PGAPPNAME=drill-filler "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$INTAKE_PG_PORT" -U intake -c "$free" -j 1 -t 1 \
    -f "$WORK/filler.sql" "$INTAKE_PG_DB" >"$WORK/filler.log" 2>&1 &
  filler=$!
  PIDS+=("$filler")
  for _ in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'drill-filler'")" -ge "$free" ] && break
    sleep 0.05
  done
  q "ALTER ROLE intake_service CONNECTION LIMIT -1" >/dev/null
  full=$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
  wait "$filler" 2>/dev/null || true
  back=$(now)
  wait "$load"
  stop_seconds=$(stop_server)
  cp "$WORK/exhaust.jsonl" /tmp/intake-drill-exhaust.jsonl 2>/dev/null || true
  stored_ids "$WORK/exhaust.jsonl" >"$WORK/exhaust.stored"
  python3 scripts/drills/check.py --name exhaust --requests "$WORK/exhaust.jsonl" --stored "$WORK/exhaust.stored" \
    --back-at "$back" --back-label "the connections were freed" --max-failure-seconds "$(python3 -c "print($ACQUIRE + 1)")" \
    --recover-within 5 --extra ", $free connections held by another client ($full client sessions of max_connections $(q "SHOW max_connections"), the rest reserved for superusers), SIGTERM exit in ${stop_seconds} s" || status=1
  if [ "$stop_seconds" = HUNG ]; then echo "drill exhaust: FAILED: SIGTERM did not stop the process within 10 s"; status=1; fi
  return $status
}

# A destination storm: Barchester's webhook healthy, Plumstead's answering 500 to every call, then
# holding every call past its timeout. The same paced intake load (both councils) runs calm, with
# the timeouts, then with the 500s; Barchester's delivery rate and latency must stay as calm,
# Plumstead's retries must follow the schedule, and none of its jobs may go dead early.
drill_storm() {
  local healthy_port=$((PORT + 3)) failing_port=$((PORT + 4)) admin status=0 stopped stop_seconds phase
  # Low enough that the delivery rate is set by the load, not by the worker.
  local rate=${DRILL_STORM_RATE:-10} seconds=${DRILL_STORM_SECONDS:-15} timeout=2
  local q="psql -X -q -h 127.0.0.1 -p $INTAKE_PG_PORT -U intake -d $INTAKE_PG_DB -v ON_ERROR_STOP=1 -tA"
  # Lanes of 8 calls: the hanging calls (10 a second, 2 s each) need more than a destination's
  # share (4 a lane), so the drill shows the cap at work, not only calls beside the next pass.
  WORKER_BATCH_SIZE=${DRILL_STORM_BATCH:-8} start_server
  python3 scripts/drills/receiver.py --port "$healthy_port" --out "$WORK/storm-healthy.jsonl" &
  PIDS+=($!)
  python3 scripts/drills/receiver.py --port "$failing_port" --out "$WORK/storm-failing.jsonl" --hang-seconds $((timeout * 2 + 1)) &
  PIDS+=($!)
  mode() { curl -sf -X POST "http://127.0.0.1:$failing_port/_mode" -d "$1" >/dev/null; }
  for _ in $(seq 1 50); do mode ok && curl -sf -o /dev/null -X POST "http://127.0.0.1:$healthy_port/_mode" -d ok && break; sleep 0.1; done
  admin=$("$BIN" keys create --role admin | awk '{print $NF}')
  for pair in "barchester storm-healthy $healthy_port" "plumstead storm-failing $failing_port"; do
    set -- $pair
    curl -sf -X POST "http://127.0.0.1:$PORT/v1/councils/$1/destinations" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' \
      -d "{\"name\": \"$2\", \"kind\": \"webhook\", \"default\": true, \"url\": \"http://127.0.0.1:$3/hook\", \"timeout_seconds\": $timeout}" \
      >/dev/null || { echo "drill storm: FAILED: could not create the webhook destination of $1"; return 1; }
  done
  # Both councils at once, `rate` reports a second each, from two paced writers each.
  storm_load() {
    local pids=() council lon
    for council in barchester:-1.9 plumstead:-1.3; do
      lon=${council#*:}
      python3 scripts/drills/load.py --port "$PORT" --client-key "$CLIENT_KEY" --backoffice-key "$BACKOFFICE_KEY" \
        --seconds "$seconds" --timeout 15 --writers 2 --readers 0 --receivers 0 --rate "$rate" --lat 52.3 --lon "$lon" \
        --out "$WORK/storm-$1-${council%%:*}.jsonl" &
      pids+=($!)
      PIDS+=($!)
    done
    wait "${pids[@]}"
  }
  storm_load calm
  local left_calm
  left_calm=$(( $(jobs_left_after_waiting storm-healthy) + $(jobs_left_after_waiting storm-failing) ))
  # Timeouts first: their retries wait at least a minute, which the rest of the drill covers.
  mode hang
  storm_load timeouts
  jobs_left_after_waiting storm-healthy >/dev/null
  mode 500
  sleep $((timeout + 1))  # calls held from the timeout phase have been given up by now
  storm_load 500s
  local left_healthy
  left_healthy=$(jobs_left_after_waiting storm-healthy)
  # Until every failing job has had its second attempt (the timeouts' come a minute or more
  # later), at most 90 s.
  for _ in $(seq 1 450); do
    [ "$($q -c "SELECT count(*) FROM dispatch_jobs j JOIN destinations d ON d.id = j.destination_id
                  WHERE d.name = 'storm-failing' AND (j.state = 'running' OR (j.state = 'pending' AND j.attempts < 2))")" = 0 ] && break
    sleep 0.2
  done
  stopped=$(now)
  stop_seconds=$(stop_server)
  $q -c "COPY (SELECT a.message_id, a.attempt, extract(epoch FROM a.started_at) AS started, a.duration_ms, a.outcome,
                      a.status_code, COALESCE(a.error LIKE 'no answer within%', false) AS timed_out
               FROM dispatch_attempts a JOIN destinations d ON d.id = a.destination_id
               WHERE d.name = 'storm-failing' ORDER BY a.id) TO STDOUT WITH (FORMAT csv, HEADER)" >"$WORK/storm-attempts.csv"
  $q -c "COPY (SELECT j.message_id, j.state, j.attempts, extract(epoch FROM j.run_at) AS run_at, d.max_attempts
               FROM dispatch_jobs j JOIN destinations d ON d.id = j.destination_id
               WHERE d.name = 'storm-failing' ORDER BY j.id) TO STDOUT WITH (FORMAT csv, HEADER)" >"$WORK/storm-jobs.csv"
  local extra
  cat "$WORK"/storm-{calm,timeouts,500s}-barchester.jsonl >"$WORK/storm-barchester.jsonl"
  extra=$(python3 scripts/drills/deliveries.py "$WORK/storm-barchester.jsonl" "$WORK/storm-healthy.jsonl") || status=1
  extra=", healthy webhook:${extra#,}, SIGTERM exit in ${stop_seconds} s"
  [ "$left_calm" = 0 ] || { extra="$extra -- FAILED: $left_calm jobs of the calm run not done a minute after it"; status=1; }
  [ "$left_healthy" = 0 ] || { extra="$extra -- FAILED: $left_healthy healthy jobs not done a minute after the load"; status=1; }
  [ "$stop_seconds" = HUNG ] && { extra="$extra -- FAILED: SIGTERM did not stop the process within 10 s"; status=1; }
  local healthy=() failing=()
  for phase in calm timeouts 500s; do
    healthy+=("$phase=$WORK/storm-$phase-barchester.jsonl")
    failing+=("$phase=$WORK/storm-$phase-plumstead.jsonl")
  done
  python3 scripts/drills/storm.py --phases calm,timeouts,500s --healthy "${healthy[@]}" --failing "${failing[@]}" \
    --healthy-deliveries "$WORK/storm-healthy.jsonl" --failing-deliveries "$WORK/storm-failing.jsonl" \
    --attempts "$WORK/storm-attempts.csv" --jobs "$WORK/storm-jobs.csv" --failing-timeout "$timeout" \
    --stopped-at "$stopped" --extra "$extra" || status=1
  return $status
}

FAILED=0
for name in "${@:-restart outage kill exhaust storm}"; do
  for one in $name; do
    case $one in
      restart) drill restart 14 4 || FAILED=1 ;;
      outage) drill outage 45 4 || FAILED=1 ;;
      kill) drill_kill || FAILED=1 ;;
      exhaust) drill_exhaust || FAILED=1 ;;
      storm) drill_storm || FAILED=1 ;;
      *) echo "drills: unknown drill $one" >&2; exit 2 ;;
    esac
  done
done
exit $FAILED
