-- Intake commits no longer wait on one another.
--
-- 1. No NOTIFY inside the transaction that inserts a job. A transaction that has called NOTIFY
--    takes a database-wide lock at commit and holds it until its commit record is flushed, so
--    every intake commit queued behind the previous one's disk flush. The process that committed
--    now sends one coalesced notification after commit (Database.announce), outside any write
--    transaction; workers keep their poll backstop.
DROP TRIGGER dispatch_jobs_notify ON dispatch_jobs;
DROP FUNCTION dispatch_jobs_notify();

-- 2. References from a sequence per council and prefix instead of a counter row, which every
--    report of that council locked until its commit. nextval takes no lock that lasts to commit;
--    a rolled-back report leaves a gap in the numbers, which is acceptable (see README).
CREATE SCHEMA report_numbers;

-- The sequence's name for a council and prefix (a prefix is two upper-case letters or digits).
CREATE FUNCTION report_number_sequence(council uuid, prefix text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('report_numbers.%I', 'c' || replace(council::text, '-', '') || '_' || lower(prefix))
$$;

-- The next number for a council and prefix, creating its sequence on first use. Only that first
-- use enters the exception block (a subtransaction); two first uses at once both succeed, the
-- second after the first commits.
CREATE FUNCTION next_report_number(council uuid, prefix text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    seq text := report_number_sequence(council, prefix);
BEGIN
    IF to_regclass(seq) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s AS bigint', seq);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            NULL;
        END;
    END IF;
    RETURN nextval(seq::regclass);
END
$$;

-- A report's reference: prefix, dash, at least six digits (FT-000123).
CREATE FUNCTION next_report_reference(council uuid, prefix text) RETURNS text
LANGUAGE sql AS $$
    SELECT prefix || '-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
    FROM next_report_number(council, prefix) AS n
$$;

-- Carry the counters over: each sequence continues after the last number handed out.
DO $$
DECLARE
    counter record;
BEGIN
    FOR counter IN SELECT council_id, prefix, last_value FROM report_reference_counters LOOP
        EXECUTE format('CREATE SEQUENCE %s AS bigint START %s',
            report_number_sequence(counter.council_id, counter.prefix), counter.last_value + 1);
    END LOOP;
END
$$;
DROP TABLE report_reference_counters;

-- The destination lookup runs for every job. As an SQL function with ORDER BY … LIMIT it could
-- not be inlined and was planned again on every call (a fifth of intake's database time); as
-- PL/pgSQL its query plan is kept for the session.
CREATE OR REPLACE FUNCTION dispatch_destination(council uuid, category uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT d.id FROM categories c
        JOIN destinations d ON d.council_id = council AND (d.name = c.destination OR d.is_default)
        WHERE c.id = category
        ORDER BY (d.name = c.destination) DESC NULLS LAST
        LIMIT 1);
END
$$;

-- 3. Each process caches API keys and the routing catalogue (councils and their categories);
--    these notifications tell every process to forget what it holds. NOTIFY here is fine: these
--    are rare admin writes, and the notification goes out only if the change commits.
CREATE FUNCTION intake_cache_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('intake_cache', TG_ARGV[0]);
    RETURN NULL;
END
$$;
-- Only the columns authentication reads: a future "last used" stamp must not flush every cache.
CREATE TRIGGER api_keys_changed AFTER INSERT OR DELETE OR UPDATE OF secret_hash, role, council_id, expires_at, revoked_at
    ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION intake_cache_changed('api_keys');
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION intake_cache_changed('catalogue');
CREATE TRIGGER councils_changed AFTER INSERT OR UPDATE OR DELETE ON councils
    FOR EACH STATEMENT EXECUTE FUNCTION intake_cache_changed('catalogue');
