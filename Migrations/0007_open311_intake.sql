-- What Open311 clients send beyond our JSON API: photo links they host themselves, attributes of
-- their own (FixMyStreet's fixmystreet_id, easting, northing, uprn…), and reporter identifiers.

ALTER TABLE reports
    -- `media_url` links, kept as given (we never fetch them).
    ADD COLUMN media_urls text[] NOT NULL DEFAULT '{}',
    -- Attributes the sending system attached that the category does not ask for.
    ADD COLUMN source_attributes jsonb NOT NULL DEFAULT '{}',
    -- Open311 account_id and device_id: personal data, erased with the contact details.
    ADD COLUMN reporter_account_id text,
    ADD COLUMN reporter_device_id text;
