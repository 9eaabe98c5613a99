#!/usr/bin/env bash
# Local PostgreSQL + PostGIS for development, tests and benchmarks — no Docker needed.
#
#   scripts/db.sh up      install (apt) if missing, create the cluster, start it, create the database
#   scripts/db.sh down    stop the cluster
#   scripts/db.sh status  say whether it runs
#   scripts/db.sh env     print DATABASE_URL, TEST_DATABASE_URL and a local SECRETS_KEY for `eval`
#   scripts/db.sh psql    open psql on the development database
#
# Every command is safe to run twice. The cluster lives in .pgdata/ (git-ignored) and listens on
# 127.0.0.1 only. PostgreSQL refuses to run as root, so as root the server runs as the
# unprivileged `postgres` user that Debian's package creates.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${INTAKE_PG_PORT:-54329}
DB_NAME=${INTAKE_PG_DB:-intake}
DB_USER=intake
PGDATA_DIR=${INTAKE_PGDATA:-$ROOT/.pgdata}

log() { printf 'db: %s\n' "$*" >&2; }
die() { printf 'db: error: %s\n' "$*" >&2; exit 1; }

# Newest installed server version, or empty.
pg_version() {
  ls -1 /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -1
}

have_postgis() {
  local v=$1
  ls /usr/share/postgresql/"$v"/extension/postgis.control >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install it by hand, or run as root)"
  fi
}

install_if_missing() {
  local v
  v=$(pg_version)
  if [ -n "$v" ] && have_postgis "$v"; then return; fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL with PostGIS is missing and this is not a Debian/Ubuntu system; install PostgreSQL 15+ and PostGIS 3 by hand"
  log "installing PostgreSQL and PostGIS with apt-get (once)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  if [ -z "$v" ]; then
    as_root apt-get install -y -qq postgresql >/dev/null
    v=$(pg_version)
    [ -n "$v" ] || die "apt-get installed no PostgreSQL server"
  fi
  as_root apt-get install -y -qq "postgresql-$v-postgis-3" >/dev/null
  have_postgis "$v" || die "postgresql-$v-postgis-3 did not install the postgis extension"
  # Debian's package may start its own cluster on 5432; ours is separate and needs nothing from it.
}

# Run a PostgreSQL server binary as the right user.
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

bin() { echo "/usr/lib/postgresql/$(pg_version)/bin/$1"; }

# As root, the postgres user must be able to reach the data folder; a checkout under a private
# home directory (mode 700) is not reachable, so the cluster then lives under /var/tmp and
# .pgdata becomes a link to it.
prepare_datadir() {
  if [ "$(id -u)" != 0 ]; then mkdir -p "$PGDATA_DIR"; return; fi
  id postgres >/dev/null 2>&1 || die "no 'postgres' user: is the postgresql package installed?"
  if [ -L "$PGDATA_DIR" ] || [ -d "$PGDATA_DIR" ]; then
    if runuser -u postgres -- test -w "$PGDATA_DIR/." 2>/dev/null; then return; fi
  fi
  mkdir -p "$PGDATA_DIR" 2>/dev/null || true
  chown postgres:postgres "$PGDATA_DIR" 2>/dev/null || true
  if ! runuser -u postgres -- test -w "$PGDATA_DIR/." 2>/dev/null; then
    local alt
    alt=/var/tmp/civic-intake-pg-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
    log "$PGDATA_DIR is not reachable by the postgres user; using $alt"
    rmdir "$PGDATA_DIR" 2>/dev/null || true
    mkdir -p "$alt"
    chown postgres:postgres "$alt"
    chmod 700 "$alt"
    ln -sfn "$alt" "$PGDATA_DIR"
  fi
}

is_running() {
  [ -f "$PGDATA_DIR/PG_VERSION" ] && run_pg "$(bin pg_ctl)" -D "$PGDATA_DIR/" status >/dev/null 2>&1
}

psql_admin() {
  "$(bin psql)" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$@"
}

cmd_up() {
  install_if_missing
  prepare_datadir
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "creating cluster in $PGDATA_DIR"
    # trust on loopback only: this cluster is for local development and tests.
    run_pg "$(bin initdb)" -D "$PGDATA_DIR/" -U "$DB_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! is_running; then
    log "starting PostgreSQL $(pg_version) on 127.0.0.1:$PORT"
    run_pg "$(bin pg_ctl)" -D "$PGDATA_DIR/" -l "$PGDATA_DIR/server.log" -w -t 60 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 -c shared_buffers=256MB" \
      start >/dev/null || { tail -20 "$PGDATA_DIR/server.log" >&2 || true; die "PostgreSQL did not start"; }
  fi
  if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    psql_admin -d postgres -c "CREATE DATABASE \"$DB_NAME\""
    log "created database $DB_NAME"
  fi
  log "ready: postgres://$DB_USER@127.0.0.1:$PORT/$DB_NAME"
}

cmd_down() {
  if is_running; then
    run_pg "$(bin pg_ctl)" -D "$PGDATA_DIR/" -m fast -w stop >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

cmd_status() {
  if is_running; then echo "running on 127.0.0.1:$PORT ($PGDATA_DIR)"; else echo "stopped"; exit 3; fi
}

# The local SECRETS_KEY (seals stored secrets): made once, kept beside the cluster, git-ignored.
KEY_FILE=${INTAKE_SECRETS_KEY_FILE:-$ROOT/.secrets-key}
local_secrets_key() {
  [ -s "$KEY_FILE" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$KEY_FILE")
  cat "$KEY_FILE"
}

cmd_env() {
  echo "export SECRETS_KEY=${SECRETS_KEY:-$(local_secrets_key)}"
  echo "export DATABASE_URL=postgres://$DB_USER@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
  echo "export TEST_DATABASE_URL=postgres://$DB_USER@127.0.0.1:$PORT/postgres?sslmode=disable"
}

# Drop databases left behind by test runs that were killed.
cmd_clean_tests() {
  local dbs
  dbs=$(psql_admin -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'intake_t\_%' OR datname LIKE 'intake_tpl\_%'")
  for d in $dbs; do psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null; done
  [ -z "$dbs" ] || log "dropped $(echo "$dbs" | wc -l) leftover test databases"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  clean-tests) cmd_clean_tests ;;
  psql) shift; psql_admin -d "$DB_NAME" "$@" ;;
  *) echo "usage: scripts/db.sh up|down|status|env|clean-tests|psql" >&2; exit 2 ;;
esac
