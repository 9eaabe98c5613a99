#!/usr/bin/env bash
# Makes sure headless Chromium is installed (Debian's chromium-headless-shell): one end-to-end
# test drives the sandbox payment page in a real browser.
set -euo pipefail

log() { echo "browser.sh: $*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install chromium-headless-shell by hand, or run as root)"
  fi
}

if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then exit 0; fi
for candidate in /usr/lib/chromium/chromium-headless-shell /usr/lib/chromium/chromium; do
  [ -x "$candidate" ] && exit 0
done
command -v apt-get >/dev/null 2>&1 || die "headless Chromium is missing and this is not a Debian/Ubuntu system; install Chromium and set CHROMIUM to its binary"
log "installing chromium-headless-shell with apt-get (once)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null
