-- Photos, stored in PostgreSQL after their metadata is stripped. A photo belongs to the client
-- key that uploaded it until it is attached to a report; unattached ones are deleted after a day.
CREATE TABLE media (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes         bytea NOT NULL,
    byte_size     integer NOT NULL,
    sha256        bytea NOT NULL,
    report_id     uuid REFERENCES reports (id) ON DELETE CASCADE,
    position      integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attached_at   timestamptz
);
CREATE INDEX media_report ON media (report_id, position) WHERE report_id IS NOT NULL;
CREATE INDEX media_unattached ON media (created_at) WHERE report_id IS NULL;

-- A `photo_added` timeline event names its photo.
ALTER TABLE report_events ADD COLUMN media_id uuid REFERENCES media (id) ON DELETE SET NULL;
