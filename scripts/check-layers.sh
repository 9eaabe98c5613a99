#!/usr/bin/env bash
# Fails when a target imports one of our modules from a layer above it (see docs/ARCHITECTURE.md,
# "Layers"). Run by `make test`; prints each offending import as file:line.
set -euo pipefail
cd "$(dirname "$0")/.."

# What each target may import, of our own modules.
declare -A allowed=(
  [IntakeCore]=""
  [IntakeStorage]="IntakeCore"
  [IntakeClients]="IntakeCore"
  [IntakeServices]="IntakeCore IntakeStorage IntakeClients"
  [IntakeProblems]="IntakeCore"
  [IntakeAPI]=""
  [IntakeOpen311]="IntakeCore IntakeStorage IntakeClients IntakeServices IntakeProblems"
  # The REST surface hosts the application, which mounts the Open311 facade beside the API.
  [IntakeHTTP]="IntakeCore IntakeStorage IntakeClients IntakeServices IntakeProblems IntakeAPI IntakeOpen311"
  [IntakeDemo]="IntakeCore IntakeStorage"
  [intake]="IntakeCore IntakeStorage IntakeClients IntakeServices IntakeProblems IntakeAPI IntakeOpen311 IntakeHTTP IntakeDemo"
)

status=0
for dir in Sources/*/; do
  target=$(basename "$dir")
  case "$target" in embed-files | webhook-sink) continue ;; esac
  if [[ ! -v allowed[$target] ]]; then
    echo "check-layers: $target is not in the layer table (scripts/check-layers.sh)" >&2
    status=1
    continue
  fi
  while IFS=: read -r file line module; do
    [ -n "$file" ] || continue
    if [ "$module" != "$target" ] && ! [[ " ${allowed[$target]} " == *" $module "* ]]; then
      echo "check-layers: $file:$line: $target may not import $module (a layer above it)" >&2
      status=1
    fi
  done < <(grep -rnoE '^(@testable |@_spi\([A-Za-z]+\) )?(public |package |internal )?import (Intake[A-Za-z0-9]*)' --include='*.swift' "$dir" \
    | sed -E 's/^([^:]+):([0-9]+):.*import (Intake[A-Za-z0-9]*)$/\1:\2:\3/')
done
[ $status = 0 ] && echo "check-layers: every target imports only layers below it"
exit $status
