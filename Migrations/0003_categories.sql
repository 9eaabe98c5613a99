-- The service catalogue: each council lists the categories it handles. The same code (e.g.
-- fly_tipping) in several councils' catalogues is how two-tier areas share work out: routing
-- picks, among the councils covering a point, the one whose catalogue has the category.
CREATE TABLE categories (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id        uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    code              text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_]{0,63}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '',
    group_name        text NOT NULL DEFAULT '',
    keywords          text[] NOT NULL DEFAULT '{}',
    -- Open311-typed attribute definitions, validated by the application (see CategoryAttribute).
    attributes        jsonb NOT NULL DEFAULT '[]',
    photo_required    boolean NOT NULL DEFAULT false,
    anonymous_allowed boolean NOT NULL DEFAULT true,
    contact_required  boolean NOT NULL DEFAULT false,
    -- The back-office destination cases of this category go to (named; see dispatch).
    destination       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Retired categories take no new reports but stay readable on old ones.
    retired_at        timestamptz,
    UNIQUE (council_id, code)
);
CREATE INDEX categories_active_code ON categories (code) WHERE retired_at IS NULL;
