#!/usr/bin/env bash
# Contract check (`make contract`, and a step of `make test`): schemathesis, pinned, in a virtual
# environment this script creates, generates requests from OpenAPI/openapi.yaml and sends them to
# `intake dev` on a freshly migrated and seeded database, each operation with the key it needs
# (scripts/contract.toml), every check on.
# It fails on any finding: a server error, a schema-valid request refused, a schema-violating
# request accepted, an answer that does not match its documented schema.
#
# Bounded: SCHEMATHESIS_MAX_EXAMPLES per operation and phase (default 25) and a hard limit of
# CONTRACT_SECONDS (default 300) on the whole run. The server listens on loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${INTAKE_BIN:-.build/debug/intake}
VERSION=4.32.5
VENV=${CONTRACT_VENV:-.build/schemathesis-$VERSION}
PORT=${CONTRACT_HTTP_PORT:-18097}
DB=scripts/db.sh
LOG=$(mktemp /tmp/intake-contract.XXXXXX.log)
[ -x "$BIN" ] || { echo "contract: $BIN is missing (make build)" >&2; exit 2; }

# The virtual environment, made once (python3-venv comes from Debian when missing).
if [ ! -x "$VENV/bin/schemathesis" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    else sudo apt-get install -y -qq python3-venv >/dev/null; fi
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi

# A database of its own on the local cluster, made afresh each run.
$DB up >/dev/null 2>&1
$DB psql -c 'DROP DATABASE IF EXISTS intake_contract WITH (FORCE)' >/dev/null
export INTAKE_PG_DB=intake_contract
$DB up >/dev/null 2>&1
eval "$($DB env)"
"$BIN" migrate >/dev/null
SEED=$(LOG_LEVEL=warning "$BIN" seed-demo)
# The client and back-office operations are called with the key each needs (contract_hooks.py).
export CONTRACT_CLIENT_KEY CONTRACT_BACKOFFICE_KEY CONTRACT_ADMIN_KEY
CONTRACT_CLIENT_KEY=$(awk '/^client key/ {print $NF}' <<<"$SEED")
CONTRACT_BACKOFFICE_KEY=$(awk '/^backoffice key for barchester/ {print $NF}' <<<"$SEED")
ADMIN_KEY=$("$BIN" keys create --role admin --label contract-check 2>/dev/null | grep -o 'ci_[A-Za-z0-9_]*' | head -1)
[ -n "$ADMIN_KEY" ] && [ -n "$CONTRACT_CLIENT_KEY" ] && [ -n "$CONTRACT_BACKOFFICE_KEY" ] || { echo "contract: could not make the keys" >&2; exit 1; }
CONTRACT_ADMIN_KEY=$ADMIN_KEY

# Quotas off: the run sends thousands of requests from one address with one key.
RATE_LIMIT_WRITES_PER_MINUTE=0 RATE_LIMIT_READS_PER_MINUTE=0 RATE_LIMIT_TRACKING_PER_MINUTE=0 \
  LOG_LEVEL=warning "$BIN" dev --http-port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null || { echo "contract: the server did not start" >&2; cat "$LOG" >&2; exit 1; }

status=0
# One worker: hypothesis's lambda descriptions parse source with `ast`, which CPython 3.11 does
# not allow from two threads at once ("AST constructor recursion depth mismatch").
# contract_hooks.py replaces positive_data_acceptance with the same check that also knows the few
# refusals JSON Schema cannot state (each named in the contract).
SCHEMATHESIS_HOOKS=contract_hooks PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}" \
timeout --signal=INT "${CONTRACT_SECONDS:-300}" "$VENV/bin/schemathesis" --config-file scripts/contract.toml \
  run "http://127.0.0.1:$PORT/openapi.yaml" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --request-timeout 10 \
  --workers 1 \
  --no-color \
  "$@" || status=$?
if [ "$status" = 124 ] || [ "$status" = 130 ]; then echo "contract: schemathesis did not finish within ${CONTRACT_SECONDS:-300} s" >&2; fi
if grep -q 'error\|critical' "$LOG"; then echo "contract: server log (errors):"; grep 'error\|critical' "$LOG" | head -20; fi
exit $status
