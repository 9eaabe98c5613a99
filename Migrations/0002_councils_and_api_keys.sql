-- Councils are the tenants of the shared service. The boundary (WGS84 MultiPolygon) arrives
-- with boundary import; until then a council exists but routes nothing.
CREATE TABLE councils (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 2 AND 64),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- ONS/GSS code as in Boundary-Line (e.g. E07000123); matches features on re-import.
    code            text UNIQUE,
    tier            text NOT NULL CHECK (tier IN ('county', 'district', 'unitary', 'metropolitan', 'london_borough', 'parish')),
    contact_email   text,
    contact_phone   text,
    website         text,
    boundary        geometry(MultiPolygon, 4326),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX councils_boundary_gist ON councils USING gist (boundary);

-- API keys are stored only as a SHA-256 hash of their secret; the prefix is shown in lists and
-- logs so operators can tell keys apart without seeing them.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prefix      text NOT NULL UNIQUE,
    secret_hash bytea NOT NULL,
    role        text NOT NULL CHECK (role IN ('client', 'backoffice', 'admin')),
    council_id  uuid REFERENCES councils (id) ON DELETE CASCADE,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    -- A back-office key belongs to exactly one council; other roles to none.
    CHECK ((role = 'backoffice') = (council_id IS NOT NULL))
);
