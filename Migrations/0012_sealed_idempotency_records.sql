-- Idempotency records no longer hold what they replay in plain text. The stored 201 of a report
-- carries its tracking token and the reporter's contact details: it is now sealed (AES-GCM) with
-- a key derived from the raw Idempotency-Key, which itself is kept only as a SHA-256 hash, and
-- the request's fingerprint is an HMAC under the same key. A reader of the database alone can
-- neither open a record nor tell which request made it. Erasing a reporter removes the records
-- of their report (report_id).
ALTER TABLE idempotency_keys
    ADD COLUMN report_id uuid REFERENCES reports (id) ON DELETE CASCADE,
    ADD COLUMN sealed boolean NOT NULL DEFAULT false;
CREATE INDEX idempotency_keys_report ON idempotency_keys (report_id) WHERE report_id IS NOT NULL;

-- Records made before this migration (at most 48 hours old) cannot be sealed without their raw
-- keys, which were never kept: they are forgotten. A retry of such a request is treated as new.
DELETE FROM idempotency_keys;
