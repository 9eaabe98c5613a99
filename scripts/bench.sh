#!/usr/bin/env bash
# `make bench`: release build, local database, then each benchmark in turn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/db.sh up
swift build -c release --product intake
INTAKE_BIN=.build/release/intake scripts/bench-routing.sh
