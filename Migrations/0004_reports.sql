-- Reports (cases), their append-only timeline, the dispatch outbox, and idempotency records.

-- Human references (FT-004213) count per council and prefix.
CREATE TABLE report_reference_counters (
    council_id uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    prefix     text NOT NULL,
    last_value integer NOT NULL,
    PRIMARY KEY (council_id, prefix)
);

CREATE TABLE reports (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference           text NOT NULL,
    council_id          uuid NOT NULL REFERENCES councils (id),
    category_id         uuid NOT NULL REFERENCES categories (id),
    status              text NOT NULL DEFAULT 'open',
    location            geometry(Point, 4326) NOT NULL,
    address             text,
    description         text NOT NULL,
    attributes          jsonb NOT NULL DEFAULT '{}',
    -- Contact details: never in public views or logs; erased after closure (see privacy).
    reporter_name       text,
    reporter_email      text,
    reporter_phone      text,
    anonymous           boolean NOT NULL DEFAULT false,
    contact_erased_at   timestamptz,
    -- The reporter's secret for follow-ups, stored as SHA-256 only.
    tracking_token_hash bytea NOT NULL,
    client_key_id       uuid REFERENCES api_keys (id),
    external_reference  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz,
    UNIQUE (council_id, reference)
);
CREATE INDEX reports_location_gist ON reports USING gist (location);
CREATE INDEX reports_created ON reports (created_at DESC, id DESC);
CREATE INDEX reports_council_created ON reports (council_id, created_at DESC, id DESC);

-- The public, append-only timeline. internal_note is for the council only.
CREATE TABLE report_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id     uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('created', 'routed', 'dispatched', 'acknowledged', 'status_changed',
                                                'comment', 'photo_added')),
    status        text,
    public_note   text,
    internal_note text,
    actor         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_events_report ON report_events (report_id, id);

-- The outbox: written in the same transaction as the event that causes it; the worker claims
-- rows with FOR UPDATE SKIP LOCKED. One job per event (UNIQUE), so a repeated write is one job.
CREATE TABLE dispatch_jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    report_id     uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    event_id      bigint NOT NULL UNIQUE REFERENCES report_events (id) ON DELETE CASCADE,
    event_type    text NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    run_at        timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX dispatch_jobs_due ON dispatch_jobs (run_at, id) WHERE state = 'pending';

-- Idempotency-Key records (IETF draft): per client key, kept 48 hours.
CREATE TABLE idempotency_keys (
    client_key_id   uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key             text NOT NULL,
    operation       text NOT NULL,
    request_hash    bytea NOT NULL,
    -- NULL while the first request is still running.
    response_status integer,
    response_body   bytea,
    locked_until    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_key_id, operation, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
