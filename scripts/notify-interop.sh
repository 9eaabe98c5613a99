#!/usr/bin/env bash
# Notify interop check (a step of `make test`): GOV.UK Notify's own Python client library
# (notifications-python-client, pinned, in a virtual environment this script creates) judges
# what this service sends and the stand-in the benchmarks use.
#  1. `intake dev` sends a reporter's email to the stand-in (webhook-sink); the bearer token it
#     used must pass the library's `decode_jwt_token`, the check Notify's API runs, with the
#     service's secret, and name the service as its issuer.
#  2. The library's own client sends an email to the stand-in: accepted; with a wrong secret:
#     refused. So the stand-in's check (and the tests' FakeNotify, written to the same rules)
#     accepts what Notify accepts and refuses what it refuses.
# Loopback only; stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${INTAKE_BIN:-.build/debug/intake}
SINK_BIN=${SINK_BIN:-.build/debug/webhook-sink}
VERSION=13.0.0
VENV=${NOTIFY_VENV:-.build/notify-client-$VERSION}
PORT=${INTEROP_HTTP_PORT:-18098}
SINK_PORT=${INTEROP_SINK_PORT:-18099}
DB=scripts/db.sh
[ -x "$BIN" ] && [ -x "$SINK_BIN" ] || { echo "notify-interop: build first (swift build)" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import notifications_python_client' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "notifications-python-client==$VERSION"
fi

$DB up >/dev/null 2>&1
$DB psql -c 'DROP DATABASE IF EXISTS intake_interop WITH (FORCE)' >/dev/null 2>&1
export INTAKE_PG_DB=intake_interop
$DB up >/dev/null 2>&1
eval "$($DB env)"
SECRETS_KEY=$("$BIN" secrets generate-key | tail -1)
export SECRETS_KEY
"$BIN" migrate >/dev/null
SEED=$(LOG_LEVEL=warning "$BIN" seed-demo)
CLIENT_KEY=$(awk '/^client key/ {print $NF}' <<<"$SEED")
BACKOFFICE_KEY=$(awk '/^backoffice key for barchester/ {print $NF}' <<<"$SEED")
SERVICE_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
SECRET=$(python3 -c 'import uuid; print(uuid.uuid4())')
TEMPLATE=11111111-1111-4111-8111-111111111111

PIDS=()
LOG=$(mktemp -d /tmp/intake-interop.XXXXXX)
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$LOG"' EXIT
NOTIFY_SECRET=$SECRET NOTIFY_SERVICE_ID=$SERVICE_ID SINK_PORT=$SINK_PORT "$SINK_BIN" >"$LOG/sink.log" 2>&1 &
PIDS+=($!)
LOG_LEVEL=warning GOVUK_NOTIFY_BASE_URL="http://127.0.0.1:$SINK_PORT" WORKER_POLL_INTERVAL=0.2 \
  "$BIN" dev --http-port "$PORT" >"$LOG/intake.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && curl -sf "http://127.0.0.1:$SINK_PORT/count" >/dev/null && break
  sleep 0.1
done
curl -sf -X PUT "http://127.0.0.1:$PORT/v1/councils/barchester/notify-settings" \
  -H "Authorization: Bearer $BACKOFFICE_KEY" -H 'Content-Type: application/json' \
  -d "{\"api_key\": \"interop-check-$SERVICE_ID-$SECRET\", \"templates\": {\"report_received\": \"$TEMPLATE\"}}" >/dev/null
curl -sf -X POST "http://127.0.0.1:$PORT/v1/reports" -H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
  -d '{"category": "fly_tipping", "location": {"lat": 52.3, "lon": -1.9}, "description": "Interop check.",
       "attributes": {"waste_type": "household", "size": "car_boot"}, "reporter": {"email": "reporter@example.org"}}' >/dev/null
TOKEN=""
for _ in $(seq 1 100); do
  TOKEN=$(curl -sf "http://127.0.0.1:$SINK_PORT/notify-token" || true)
  [ -n "$TOKEN" ] && break
  sleep 0.1
done
[ -n "$TOKEN" ] || { echo "notify-interop: the worker sent nothing to the stand-in" >&2; cat "$LOG/intake.log" >&2; exit 1; }

"$VENV/bin/python" - "$TOKEN" "$SECRET" "$SERVICE_ID" "http://127.0.0.1:$SINK_PORT" "$TEMPLATE" <<'PY'
import logging, sys, uuid
logging.disable(logging.CRITICAL)  # the client logs the refusal below, which is expected
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.errors import HTTPError
token, secret, service, base, template = sys.argv[1:6]
# 1. Our token, judged by Notify's own check.
assert decode_jwt_token(token, secret) is True
assert get_token_issuer(token) == service, "the token's issuer is not the service id"
print("notify-interop: the worker's token passes notifications-python-client's decode_jwt_token")
# 2. The stand-in, judged against Notify's own client.
client = NotificationsAPIClient(f"interop-check-{service}-{secret}", base_url=base)
answer = client.send_email_notification(email_address="a@example.org", template_id=template,
                                         personalisation={"reference": "FT-000001"}, reference=str(uuid.uuid4()))
assert answer.get("id"), answer
try:
    NotificationsAPIClient(f"interop-check-{service}-{uuid.uuid4()}", base_url=base).send_email_notification(
        email_address="a@example.org", template_id=template)
    raise SystemExit("notify-interop: the stand-in accepted a token signed with the wrong secret")
except HTTPError as error:
    assert error.status_code == 403, error.status_code
print("notify-interop: the stand-in accepts Notify's own client and refuses a wrong secret")
PY
