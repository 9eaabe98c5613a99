#!/usr/bin/env bash
# Routing lookup benchmark: 400 councils (380 districts in a grid, 20 counties over them, one
# district boundary of 10,001 vertices), pgbench running the same two statements that
# GET /v1/services runs, with per-lookup latencies logged for the median and p99.
# Also prints the query plan, which must use the GiST index on councils.boundary.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
eval "$(scripts/db.sh env)"
BIN=${INTAKE_BIN:-.build/release/intake}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
DB=intake_bench_routing
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${INTAKE_PG_PORT:-54329} -U intake"
PGBENCH="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench -h 127.0.0.1 -p ${INTAKE_PG_PORT:-54329} -U intake"
WORK=$(mktemp -d)
trap "rm -rf $WORK" EXIT

$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
DATABASE_URL="postgres://intake@127.0.0.1:${INTAKE_PG_PORT:-54329}/$DB?sslmode=disable" LOG_LEVEL=warning "$BIN" migrate >/dev/null

# The map: cells of 0.4° × 0.3° over lon -6…1.6, lat 50…56; district (i, j) for i < 19, and a
# county for each row j spanning its 19 districts. District (9, 10) is a 10,001-vertex circle.
$PSQL -d "$DB" <<'SQL'
INSERT INTO councils (slug, name, tier, boundary)
SELECT format('district-%s-%s', i, j), format('District %s/%s', i, j), 'district',
       ST_Multi(ST_MakeEnvelope(-6 + 0.4 * i, 50 + 0.3 * j, -6 + 0.4 * (i + 1), 50 + 0.3 * (j + 1), 4326))
FROM generate_series(0, 18) i, generate_series(0, 19) j;
INSERT INTO councils (slug, name, tier, boundary)
SELECT format('county-%s', j), format('County %s', j), 'county',
       ST_Multi(ST_MakeEnvelope(-6, 50 + 0.3 * j, -6 + 0.4 * 19, 50 + 0.3 * (j + 1), 4326))
FROM generate_series(0, 19) j;
UPDATE councils
SET boundary = ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(-6 + 0.4 * 9.5, 50 + 0.3 * 10.5), 4326), 0.14, 'quad_segs=2500'))
WHERE slug = 'district-9-10';
INSERT INTO categories (council_id, code, name)
SELECT id, 'fly_tipping', 'Fly-tipping' FROM councils WHERE tier = 'district'
UNION ALL SELECT id, 'pothole', 'Pothole' FROM councils WHERE tier = 'county';
ANALYZE councils; ANALYZE categories;
SQL

echo "councils: $($PSQL -d "$DB" -tAc "SELECT count(*) FROM councils"), vertices of the largest boundary: $($PSQL -d "$DB" -tAc "SELECT max(ST_NPoints(boundary)) FROM councils")"

# The two statements RoutingStore runs (councils covering the point; their categories).
write_script() { # $1 = file, $2 = lon expression, $3 = lat expression
  cat > "$1" <<EOS
\set x random(0, 1000000)
\set y random(0, 1000000)
SELECT COALESCE(string_agg(quote_literal(id), ',' ORDER BY rank, area, slug), '') AS ids FROM (
  SELECT c.id, c.slug, CASE c.tier WHEN 'parish' THEN 0 WHEN 'county' THEN 2 ELSE 1 END AS rank, ST_Area(c.boundary) AS area
  FROM councils c WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint($2, $3), 4326))) here \gset
SELECT cat.code, c.slug FROM (
  SELECT DISTINCT ON (cat.code) cat.* FROM categories cat
  JOIN unnest(ARRAY[:ids]::uuid[]) WITH ORDINALITY AS here(id, priority) ON here.id = cat.council_id
  WHERE cat.retired_at IS NULL ORDER BY cat.code, here.priority) cat JOIN councils c ON c.id = cat.council_id;
EOS
}
write_script "$WORK/anywhere.sql" "-6 + 7.6 * :x / 1000000.0" "50 + 6.0 * :y / 1000000.0"
write_script "$WORK/complex.sql" "-6 + 0.4 * 9.5 + 0.28 * (:x / 1000000.0 - 0.5)" "50 + 0.3 * 10.5 + 0.28 * (:y / 1000000.0 - 0.5)"

echo
echo "Plan for a point inside the 10,001-vertex district:"
$PSQL -d "$DB" -c "EXPLAIN (ANALYZE, COSTS OFF) SELECT c.id FROM councils c WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint(-2.2, 53.15), 4326))"

percentiles() { # latency log files → "median p99 count" in ms
  cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f %d\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, NR}'
}

echo
printf '%-34s %10s %10s %10s %12s\n' "routing lookup (1 client)" "median ms" "p99 ms" "lookups" "lookups/s"
for name in anywhere complex; do
  rm -f "$WORK"/log*
  out=$($PGBENCH -n -c 1 -j 1 -T "$SECONDS_PER_RUN" -f "$WORK/$name.sql" -l --log-prefix="$WORK/log" "$DB" 2>&1)
  tps=$(echo "$out" | awk '/^tps/ {print $3; exit}')
  read -r median p99 count < <(percentiles "$WORK"/log*)
  label=$([ "$name" = anywhere ] && echo "random point, 400 councils" || echo "inside the 10,001-vertex boundary")
  printf '%-34s %10s %10s %10s %12.0f\n' "$label" "$median" "$p99" "$count" "$tps"
done
$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
