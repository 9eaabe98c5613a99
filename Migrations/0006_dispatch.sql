-- Back-office destinations, and what the dispatch queue needs to deliver to them: leases with
-- receipt handles, per-case ordering, delivery attempts for operators.

CREATE TABLE destinations (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id                 uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    name                       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind                       text NOT NULL CHECK (kind IN ('pull', 'webhook', 'open311')),
    -- Cases of categories that name no destination (or a missing one) go to the default.
    is_default                 boolean NOT NULL DEFAULT false,
    url                        text,
    -- Webhook signing secrets (Standard Webhooks, whsec_…): they must be usable to sign, so they
    -- are stored as given. The previous secret keeps signing until it expires (rotation).
    secret                     text,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    open311_api_key            text,
    open311_jurisdiction       text,
    timeout_seconds            integer NOT NULL DEFAULT 15 CHECK (timeout_seconds BETWEEN 1 AND 60),
    -- Push: attempts before a job is dead. Pull: receives before a message is dead.
    max_attempts               integer NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 50),
    visibility_timeout_seconds integer NOT NULL DEFAULT 30 CHECK (visibility_timeout_seconds BETWEEN 0 AND 43200),
    -- Set when a webhook answers 410 Gone; jobs wait until an operator enables it again.
    disabled_at                timestamptz,
    disabled_reason            text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    UNIQUE (council_id, name),
    CHECK ((kind = 'pull') = (url IS NULL)),
    CHECK (kind = 'webhook' OR secret IS NULL)
);
CREATE UNIQUE INDEX destinations_one_default ON destinations (council_id) WHERE is_default;

-- The destination a council's case goes to: the one its category names, else the default.
CREATE FUNCTION dispatch_destination(council uuid, category uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT d.id FROM categories c
    JOIN destinations d ON d.council_id = council AND (d.name = c.destination OR d.is_default)
    WHERE c.id = category
    ORDER BY (d.name = c.destination) DESC NULLS LAST
    LIMIT 1
$$;

ALTER TABLE dispatch_jobs
    ADD COLUMN destination_id uuid REFERENCES destinations (id) ON DELETE SET NULL,
    -- Jobs of one group (one case) are handed out one at a time, in id order.
    ADD COLUMN group_key uuid,
    -- The current lease: a new receipt handle per claim; run_at is when the lease expires.
    -- locked_by names the last holder (kept after completion, for operators).
    ADD COLUMN receipt uuid,
    ADD COLUMN locked_by text,
    ADD COLUMN last_error text,
    -- Open311: the token a council server answered with, resolved before anything is re-sent.
    ADD COLUMN open311_token text;

UPDATE dispatch_jobs SET group_key = report_id;
UPDATE dispatch_jobs j SET destination_id = dispatch_destination(r.council_id, r.category_id)
FROM reports r WHERE r.id = j.report_id;

CREATE FUNCTION dispatch_jobs_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.group_key := COALESCE(NEW.group_key, NEW.report_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER dispatch_jobs_defaults BEFORE INSERT ON dispatch_jobs
    FOR EACH ROW EXECUTE FUNCTION dispatch_jobs_defaults();

-- Wakes listening workers and long-polling receivers; delivered only if the insert commits.
-- The payload names the destination so a receiver waits only for its own queue.
CREATE FUNCTION dispatch_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dispatch_jobs', COALESCE(NEW.destination_id::text, ''));
    RETURN NULL;
END
$$;
CREATE TRIGGER dispatch_jobs_notify AFTER INSERT ON dispatch_jobs
    FOR EACH ROW EXECUTE FUNCTION dispatch_jobs_notify();

-- Claimable = pending or running with run_at passed (a due retry, or an expired lease).
DROP INDEX dispatch_jobs_due;
CREATE INDEX dispatch_jobs_due ON dispatch_jobs (run_at, id) WHERE state IN ('pending', 'running');
CREATE INDEX dispatch_jobs_queue ON dispatch_jobs (destination_id, run_at, id) WHERE state IN ('pending', 'running');
CREATE INDEX dispatch_jobs_group ON dispatch_jobs (group_key, id) WHERE state IN ('pending', 'running');
CREATE INDEX dispatch_jobs_dead ON dispatch_jobs (destination_id, id) WHERE state = 'dead';
CREATE INDEX dispatch_jobs_done ON dispatch_jobs (finished_at) WHERE state = 'done';
CREATE INDEX dispatch_jobs_unrouted ON dispatch_jobs (id) WHERE destination_id IS NULL AND state = 'pending';

-- Push delivery attempts, for operators. Kept 7 days; keyed by message id so they outlive the
-- pruned job.
CREATE TABLE dispatch_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination_id   uuid NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    message_id       uuid NOT NULL,
    event_type       text NOT NULL,
    attempt          integer NOT NULL,
    started_at       timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead', 'gone', 'awaiting_token')),
    status_code      integer,
    response_excerpt text,
    error            text
);
CREATE INDEX dispatch_attempts_destination ON dispatch_attempts (destination_id, id DESC);
CREATE INDEX dispatch_attempts_started ON dispatch_attempts (started_at);

-- When the council expects to have dealt with a case (set by its back office).
ALTER TABLE reports ADD COLUMN expected_at timestamptz;
