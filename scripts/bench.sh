#!/usr/bin/env bash
# `make bench`: release build, local database, then each benchmark in turn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/db.sh up
swift build -c release --product intake
swift build -c release --product webhook-sink
export INTAKE_BIN=.build/release/intake
echo "== Report intake =="
scripts/bench-intake.sh
echo
echo "== Routing lookups =="
scripts/bench-routing.sh
echo
echo "== Dispatch =="
scripts/bench-dispatch.sh
echo
echo "== Notifications =="
scripts/bench-notify.sh
echo
echo "== Staff console =="
scripts/bench-console.sh
