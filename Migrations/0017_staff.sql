-- Council staff who work cases in the browser console. Each belongs to one council and sees only
-- its data. Passwords are bcrypt hashes; repeated failures lock the account for a while.
CREATE TABLE staff_accounts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id      uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    email           text NOT NULL,
    name            text NOT NULL,
    role            text NOT NULL CHECK (role IN ('caseworker', 'manager')),
    password_hash   text NOT NULL,
    failed_logins   integer NOT NULL DEFAULT 0,
    -- Failures count while they are recent (within the lock-out period of each other).
    last_failed_at  timestamptz,
    locked_until    timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One account per address, whatever its case: sign-in is by email alone.
CREATE UNIQUE INDEX staff_accounts_email ON staff_accounts (lower(email));

-- Signed-in sessions: the cookie holds a random token, stored here as its SHA-256 only.
CREATE TABLE staff_sessions (
    token_hash   bytea PRIMARY KEY,
    staff_id     uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- What officers do in the console is in the audit log beside what keys do: the actor is
-- `staff:<email>` with the role `staff`.
ALTER TABLE audit_events
    DROP CONSTRAINT audit_events_actor_role_check,
    ADD CONSTRAINT audit_events_actor_role_check CHECK (actor_role IN ('admin', 'backoffice', 'operator', 'staff'));

