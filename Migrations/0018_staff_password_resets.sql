-- Console password resets by an emailed link. The link carries a MAC token naming the reset (see
-- LinkToken), so nothing secret is stored here: a reset is good once, until it expires, and only
-- while it is the account's newest. The email travels through the council's Notify lane like any
-- other message, so it has the same retries, dead letters and message log.
CREATE TABLE staff_password_resets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id    uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
-- Resets asked for an account in the last hour (a few at most), and its newest.
CREATE INDEX staff_password_resets_staff ON staff_password_resets (staff_id, created_at);
CREATE INDEX staff_password_resets_expiry ON staff_password_resets (expires_at);

-- The message log knows staff as an audience and the reset email as a message. A pruned reset
-- leaves its log row (its address is cleared on the log's own schedule).
ALTER TABLE notifications
    ADD COLUMN staff_reset_id uuid REFERENCES staff_password_resets (id) ON DELETE SET NULL,
    DROP CONSTRAINT notifications_audience_check,
    ADD CONSTRAINT notifications_audience_check CHECK (audience IN ('reporter', 'subscriber', 'staff')),
    DROP CONSTRAINT notifications_message_check,
    ADD CONSTRAINT notifications_message_check CHECK (message IN ('report_received', 'acknowledged', 'status_changed', 'closed',
                                                                 'alert_confirm', 'alert_new_report', 'alert_digest',
                                                                 'staff_password_reset'));
CREATE INDEX notifications_staff_reset ON notifications (staff_reset_id) WHERE staff_reset_id IS NOT NULL;
