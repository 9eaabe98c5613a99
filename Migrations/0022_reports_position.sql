-- Box and radius reads answered from an index alone.
--
-- A map's box listing wants the newest reports inside a box. With only a GiST index on the
-- geometry, PostgreSQL either read every report in the box from the table to sort them (50,000
-- heap pages for a city box at national size) or walked the newest-first index reading each
-- report to test its position (60,000–80,000 for a quiet box): 76–870 ms at ten million reports.
-- A geometry's GiST entries cannot be returned from the index, so no index-only scan was possible.
--
-- `position` is the same point as PostgreSQL's own `point` type, whose GiST entries can be
-- returned; with the creation time, id and status carried in the index, a box's matching reports
-- (and the nearby search's recent open ones) are found without touching the table, and only the
-- page that is shown is read. `<@` on a point and a box is exact, edges included.
--
-- A trigger keeps it, rather than a generated column, because adding a stored generated column
-- rewrites the table under an exclusive lock (about three minutes at ten million reports). On a
-- large live database the column, trigger, fill (in batches) and index can be made ahead, as
-- docs/ARCHITECTURE.md (Migrations) says; this migration then only checks that they are there,
-- without holding the table's exclusive lock for a scan.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = 'reports'::regclass AND attname = 'position' AND NOT attisdropped) THEN
        ALTER TABLE reports ADD COLUMN position point;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION reports_position() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.position := point(ST_X(NEW.location), ST_Y(NEW.location));
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER reports_position BEFORE INSERT OR UPDATE OF location, position ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_position();

-- The index is built last, after the fill, so where it exists the fill was done ahead.
DO $$
BEGIN
    IF to_regclass('reports_position') IS NULL THEN
        UPDATE reports SET position = point(ST_X(location), ST_Y(location)) WHERE position IS NULL;
        CREATE INDEX reports_position ON reports USING gist (position) INCLUDE (created_at, id, status);
    END IF;
END
$$;
-- Every box and radius read now goes through `position`; the geometry's index only cost intake.
DROP INDEX IF EXISTS reports_location_gist;
