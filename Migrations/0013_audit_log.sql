-- The audit log: every change made with an admin or back-office key, and every change made with
-- `intake keys` (the demo seed's fixed keys are not audited). An entry is written before the change is attempted and completed with
-- the answer's status afterwards, so a change that committed is never missing from it, even if
-- the process stops in between (the entry then has no status). Secrets never reach it: request
-- bodies are stored with every secret field redacted.
CREATE TABLE audit_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    request_id       text NOT NULL,
    -- Kept as text as well as by id: a key's prefix must still name the actor if the key's row
    -- goes with its council.
    actor_key_id     uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    actor_prefix     text NOT NULL,
    actor_role       text NOT NULL CHECK (actor_role IN ('admin', 'backoffice', 'operator')),
    actor_council    text,
    council_id       uuid REFERENCES councils (id) ON DELETE SET NULL,
    council_slug     text,
    action           text NOT NULL,
    method           text NOT NULL,
    route            text NOT NULL,
    target           jsonb NOT NULL DEFAULT '{}',
    changes          jsonb NOT NULL DEFAULT '{}',
    status           integer
);
-- Admins page through everything, or one council's, one actor's or one action's entries.
CREATE INDEX audit_events_council ON audit_events (council_slug, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_prefix, id DESC);
CREATE INDEX audit_events_action ON audit_events (action, id DESC);

-- When each key last authenticated a request. Written in batches (at most once a minute per
-- process), so it is right to within a minute and costs requests nothing; the api_keys cache
-- trigger (0011) watches only the columns that decide access, so these writes do not empty
-- every process's key cache.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
