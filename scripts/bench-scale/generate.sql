-- National-scale data for `make bench-scale`, generated in PostgreSQL (not through the API).
-- Helpers live in the `bench` schema of the benchmark's own database.
CREATE SCHEMA IF NOT EXISTS bench;

-- A number in [0, 1) from text: deterministic, so a run can be repeated.
CREATE OR REPLACE FUNCTION bench.h(key text) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(key), 1, 8))::bit(32)::bigint / 4294967296.0 $$;

-- One boundary edge from (x1, y1) to (x2, y2): 250–5,000 vertices, bent sideways by up to 0.02°
-- (about 2 km) but pinned at its ends. Built from the edge's lower end whichever way it is asked
-- for, so the two councils that share an edge get the very same vertices: the map tiles exactly.
CREATE OR REPLACE FUNCTION bench.edge(x1 float8, y1 float8, x2 float8, y2 float8) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    flip boolean := (x1, y1) > (x2, y2);
    xa float8 := CASE WHEN flip THEN x2 ELSE x1 END;
    ya float8 := CASE WHEN flip THEN y2 ELSE y1 END;
    xb float8 := CASE WHEN flip THEN x1 ELSE x2 END;
    yb float8 := CASE WHEN flip THEN y1 ELSE y2 END;
    key text := format('%s %s %s %s', round(xa::numeric, 4), round(ya::numeric, 4), round(xb::numeric, 4), round(yb::numeric, 4));
    n int := 250 + floor(bench.h(key) * 4750)::int;
    p1 float8 := bench.h(key || 'a') * 2 * pi();
    p2 float8 := bench.h(key || 'b') * 2 * pi();
    len float8 := sqrt((xb - xa) ^ 2 + (yb - ya) ^ 2);
    line geometry;
BEGIN
    SELECT ST_MakeLine(array_agg(ST_MakePoint(xa + t * (xb - xa) - (yb - ya) / len * o, ya + t * (yb - ya) + (xb - xa) / len * o) ORDER BY k))
    INTO line
    FROM (SELECT k, k::float8 / n AS t FROM generate_series(0, n) k) s,
         LATERAL (SELECT 0.02 * sin(pi() * t) * (0.6 * sin(6 * pi() * t + p1) + 0.4 * sin(34 * pi() * t + p2)) AS o) bend;
    line := ST_SetSRID(line, 4326);
    RETURN CASE WHEN flip THEN ST_Reverse(line) ELSE line END;
END
$$;

-- District (i, j): the cell of 0.4° × 0.3° at lon -6 + 0.4 i, lat 50 + 0.3 j, with bent edges
-- (1,000–20,000 vertices in all).
CREATE OR REPLACE FUNCTION bench.cell(i int, j int) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$
    SELECT ST_MakePolygon(ST_MakeLine(ARRAY[
        bench.edge(-6 + 0.4 * i, 50 + 0.3 * j, -6 + 0.4 * (i + 1), 50 + 0.3 * j),
        bench.edge(-6 + 0.4 * (i + 1), 50 + 0.3 * j, -6 + 0.4 * (i + 1), 50 + 0.3 * (j + 1)),
        bench.edge(-6 + 0.4 * (i + 1), 50 + 0.3 * (j + 1), -6 + 0.4 * i, 50 + 0.3 * (j + 1)),
        bench.edge(-6 + 0.4 * i, 50 + 0.3 * (j + 1), -6 + 0.4 * i, 50 + 0.3 * j)]))
$$;

-- The report with number g has this id (sequential, so the benchmark can name any report).
CREATE OR REPLACE FUNCTION bench.rid(g bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid $$;

-- 380 districts (20 × 19) over lon -6…2, lat 50…55.7 (about 560 × 630 km), and 20 counties over
-- blocks of 5 × 4 of them (two tiers where they overlap). Four western districts have islands.
INSERT INTO councils (slug, name, tier, code, boundary)
SELECT format('district-%s-%s', i, j), format('District %s/%s', i, j), 'district', format('B%02s%02s', i, j),
       CASE WHEN i = 0 AND j IN (2, 7, 12, 17)
            THEN ST_Multi(ST_Collect(bench.cell(i, j),
                     ST_Buffer(ST_SetSRID(ST_MakePoint(-6.25, 50 + 0.3 * j + 0.15), 4326), 0.06, 'quad_segs=100')))
            ELSE ST_Multi(bench.cell(i, j)) END
FROM generate_series(0, 19) i, generate_series(0, 18) j;

CREATE TABLE bench.cells AS
SELECT i, j, (SELECT id FROM councils WHERE slug = format('district-%s-%s', i, j)) AS district_id,
       format('county-%s-%s', i / 5, least(j / 4, 4)) AS county_slug
FROM generate_series(0, 19) i, generate_series(0, 18) j;

INSERT INTO councils (slug, name, tier, code, boundary)
SELECT c.county_slug, 'County ' || substr(c.county_slug, 8), 'county', 'C' || substr(c.county_slug, 8),
       ST_Multi(ST_SimplifyPreserveTopology(ST_Union(d.boundary), 0.0004))
FROM bench.cells c JOIN councils d ON d.id = c.district_id
GROUP BY c.county_slug;

ALTER TABLE bench.cells ADD COLUMN county_id uuid;
UPDATE bench.cells c SET county_id = k.id FROM councils k WHERE k.slug = c.county_slug;

-- 10–20 categories each; every district takes fly-tipping, every county potholes.
INSERT INTO categories (council_id, code, name)
SELECT c.id, k.code, initcap(replace(k.code, '_', ' '))
FROM councils c,
     LATERAL (SELECT CASE WHEN c.tier = 'district'
                          THEN ARRAY['fly_tipping', 'graffiti', 'missed_bin', 'litter', 'dog_fouling', 'abandoned_vehicle',
                                     'noise', 'pest_control', 'public_toilets', 'park_damage', 'overgrown_vegetation',
                                     'bus_shelter', 'fly_posting', 'needles', 'dead_animal', 'street_cleaning', 'bin_damage',
                                     'trade_waste', 'allotments', 'car_park']
                          ELSE ARRAY['pothole', 'street_lighting', 'blocked_drain', 'damaged_pavement', 'flooding',
                                     'road_markings', 'broken_sign', 'fallen_tree', 'traffic_lights', 'gritting',
                                     'bridge', 'kerb', 'verge', 'footpath', 'cycle_lane', 'bollard', 'manhole',
                                     'road_surface', 'street_nameplate', 'pedestrian_crossing'] END AS codes) list,
     LATERAL unnest(list.codes[1:10 + floor(bench.h(c.slug) * 11)::int]) AS k(code);

INSERT INTO destinations (council_id, name, kind, is_default) SELECT id, 'cases', 'pull', true FROM councils;

CREATE TABLE bench.council_categories AS
SELECT council_id, array_agg(id ORDER BY code) AS ids FROM categories GROUP BY council_id;

-- Reports g in [lo, hi] of n, over five years, oldest first: most in a few busy districts (a
-- skewed draw, scattered over the map), three in ten to the county (its categories). Statuses
-- as they stand: closed long since for old reports, a working mix for the last 60 days.
-- Contact details are gone from reports closed before the retention period.
CREATE OR REPLACE FUNCTION bench.reports(lo bigint, hi bigint, n bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO reports (id, reference, council_id, category_id, status, location, description, reporter_name, reporter_email,
                         contact_erased_at, tracking_token_hash, created_at, updated_at, closed_at)
    SELECT bench.rid(g), 'S' || g, r.council_id, cats.ids[1 + (g % array_length(cats.ids, 1))], status,
           ST_SetSRID(ST_MakePoint(-6 + 0.4 * (i + 0.1 + 0.8 * u1), 50 + 0.3 * (j + 0.1 + 0.8 * u2)), 4326),
           'Case ' || g || ': ' || (ARRAY['mattress by the gate', 'bags of rubbish', 'graffiti on the wall',
                                          'pothole near the school', 'broken street light', 'bin not emptied'])[1 + g % 6],
           CASE WHEN recent THEN 'Resident ' || g END, CASE WHEN recent THEN 'resident' || g || '@example.org' END,
           CASE WHEN NOT recent THEN created_at + interval '120 days' END, sha256(g::text::bytea),
           created_at, created_at, CASE WHEN closed THEN created_at + interval '1 day' * (1 + g % 30) END
    FROM (
        SELECT g, i, j, u1, u2, council_id, created_at, status,
               status IN ('fixed', 'closed', 'duplicate', 'no_further_action', 'not_councils_responsibility') AS closed,
               created_at > now() - interval '150 days' AS recent
        FROM (
            SELECT g, c.i, c.j, u1, u2, CASE WHEN g % 10 < 3 THEN c.county_id ELSE c.district_id END AS council_id, created_at,
                   CASE WHEN created_at < now() - interval '60 days'
                        THEN (ARRAY['fixed', 'fixed', 'fixed', 'fixed', 'fixed', 'closed', 'closed', 'closed', 'duplicate',
                                    'no_further_action', 'not_councils_responsibility', 'fixed'])[1 + g % 12]
                        ELSE (ARRAY['open', 'open', 'open', 'investigating', 'in_progress', 'in_progress', 'action_scheduled',
                                    'fixed', 'fixed', 'closed'])[1 + g % 10] END AS status
            FROM (
                SELECT g, random() AS u1, random() AS u2,
                       ((floor(380 * power(random(), 2.2))::int * 151) % 380) AS cell,
                       least(now() - interval '5 years' * (1 - g::float8 / n) + interval '1 minute' * floor(random() * 30), now() - interval '1 minute') AS created_at
                FROM generate_series(lo, hi) g
            ) drawn
            JOIN bench.cells c ON c.i = drawn.cell / 19 AND c.j = drawn.cell % 19
        ) placed
    ) r
    JOIN bench.council_categories cats ON cats.council_id = r.council_id;

    -- Every report's creation, and the change to its present status.
    INSERT INTO report_events (report_id, kind, status, public_note, actor, created_at)
    SELECT r.id, 'created', 'open', NULL, 'reporter', r.created_at
    FROM reports r WHERE r.id BETWEEN bench.rid(lo) AND bench.rid(hi)
    UNION ALL
    SELECT r.id, 'status_changed', r.status, CASE WHEN r.closed_at IS NOT NULL THEN 'Dealt with.' END, 'council',
           COALESCE(r.closed_at, r.created_at + interval '2 days')
    FROM reports r WHERE r.id BETWEEN bench.rid(lo) AND bench.rid(hi) AND r.status <> 'open';

    -- Dispatch jobs of the last 30 days (older delivered ones are pruned by housekeeping):
    -- delivered, but the last day's still waiting in the council's pull queue.
    INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id, group_key, state, created_at, run_at, finished_at)
    SELECT e.report_id, e.id, CASE e.kind WHEN 'created' THEN 'case.created' ELSE 'case.status_changed' END, d.id, e.report_id,
           CASE WHEN e.created_at < now() - interval '1 day' THEN 'done' ELSE 'pending' END, e.created_at, e.created_at,
           CASE WHEN e.created_at < now() - interval '1 day' THEN e.created_at + interval '1 minute' END
    FROM report_events e
    JOIN reports r ON r.id = e.report_id
    JOIN destinations d ON d.council_id = r.council_id
    WHERE e.report_id BETWEEN bench.rid(lo) AND bench.rid(hi) AND e.created_at > now() - interval '30 days';

    -- Each delivered job's attempt, as a push delivery records it (kept 7 days by housekeeping).
    INSERT INTO dispatch_attempts (destination_id, message_id, event_type, attempt, started_at, duration_ms, outcome, status_code)
    SELECT j.destination_id, j.message_id, j.event_type, 1, j.finished_at - interval '1 second', 40, 'delivered', 204
    FROM dispatch_jobs j WHERE j.report_id BETWEEN bench.rid(lo) AND bench.rid(hi) AND j.state = 'done';
$$;

-- Council-tax payments g in [lo, hi] of n, over five years, oldest first, to the districts (the
-- billing authorities) in the same skewed draw as reports: nearly all paid and handed off to the
-- revenues system, some failed, cancelled or expired, and the last three hours' still waiting for the
-- payer (some of them past their expiry, for the sweep). Only the intents: their event history
-- is not read by the reconciliation or the sweep.
CREATE OR REPLACE FUNCTION bench.payments(lo bigint, hi bigint, n bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO payment_intents (council_id, purpose, account_reference, amount_pence, state, return_url, provider,
                                 provider_reference, expires_at, created_at, updated_at, fund_code, description, paid_at)
    SELECT c.district_id, 'council_tax', lpad((g % 99999999)::text, 8, '0'), 1000 + (g * 7919) % 300000, state,
           'https://pay.example.org/return', 'govuk_pay', 'pay-' || g, created_at + interval '90 minutes', created_at,
           created_at + interval '5 minutes', 'CTAX', 'Council tax',
           CASE WHEN state IN ('posted', 'posting_queued', 'posting_failed') THEN created_at + interval '3 minutes' END
    FROM (
        SELECT g, ((floor(380 * power(random(), 2.2))::int * 151) % 380) AS cell, created_at,
               CASE WHEN created_at > now() - interval '3 hours' THEN (ARRAY['created', 'pending'])[1 + g % 2]
                    ELSE (ARRAY['posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted',
                                'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'posted', 'failed', 'cancelled',
                                'expired', 'posting_failed'])[1 + g % 20] END AS state
        FROM (SELECT g, least(now() - interval '5 years' * (1 - g::float8 / n), now() - interval '1 minute') AS created_at
              FROM generate_series(lo, hi) g) t
    ) drawn
    JOIN bench.cells c ON c.i = drawn.cell / 19 AND c.j = drawn.cell % 19;
$$;
