-- Telling people what happened: reporters on their report's public events, and subscribers to
-- alerts (one report, an area, a council). Every message is a row in `notifications` (the
-- message log) with a dispatch job, written in the transaction of the event that causes it, so
-- the worker's outbox gives messages the same leases, retries, dead letters and redrive as
-- deliveries to back offices. Each council's messages travel through one destination of kind
-- `notify` (created on first use), which carries the retry limits and the per-lane fairness.

-- The reporter's choice at intake: false sends them nothing.
ALTER TABLE reports ADD COLUMN notify boolean NOT NULL DEFAULT true;

-- The bearer token Notify's callbacks (delivery receipts, received texts) carry: sealed like the key.
ALTER TABLE council_notify_settings ADD COLUMN callback_token text;

ALTER TABLE destinations
    DROP CONSTRAINT destinations_kind_check,
    ADD CONSTRAINT destinations_kind_check CHECK (kind IN ('pull', 'webhook', 'open311', 'notify')),
    DROP CONSTRAINT destinations_check,
    ADD CONSTRAINT destinations_url_kind CHECK ((kind IN ('pull', 'notify')) = (url IS NULL)),
    DROP CONSTRAINT destinations_payments_kind,
    ADD CONSTRAINT destinations_payments_kind CHECK (NOT receives_payments OR kind IN ('pull', 'webhook')),
    ADD CONSTRAINT destinations_notify_not_default CHECK (kind <> 'notify' OR NOT is_default);
CREATE UNIQUE INDEX destinations_one_notify ON destinations (council_id) WHERE kind = 'notify';

-- Alerts (FixMyStreet's): pending until the link sent to the address is opened (double opt-in).
-- `sender_council_id` is the council whose Notify service and lane carry the messages: the
-- report's council, the council itself, or for an area the council covering its centre.
CREATE TABLE alert_subscriptions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL CHECK (kind IN ('report', 'area', 'council')),
    report_id         uuid REFERENCES reports (id) ON DELETE CASCADE,
    council_id        uuid REFERENCES councils (id) ON DELETE CASCADE,
    category_id       uuid REFERENCES categories (id) ON DELETE CASCADE,
    centre            geography(Point, 4326),
    radius_metres     integer CHECK (radius_metres BETWEEN 100 AND 5000),
    sender_council_id uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    email             text,
    webhook_url       text,
    -- Standard Webhooks secret (whsec_…), sealed.
    webhook_secret    text,
    frequency         text NOT NULL CHECK (frequency IN ('immediate', 'daily')),
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'unsubscribed')),
    -- Same kind, target and address: one pending or active subscription, not a second one.
    fingerprint       text NOT NULL,
    client_key_id     uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    unsubscribed_at   timestamptz,
    last_digest_at    timestamptz,
    CHECK ((email IS NULL) <> (webhook_url IS NULL)),
    CHECK (webhook_url IS NULL OR webhook_secret IS NOT NULL),
    CHECK (CASE kind
        WHEN 'report' THEN report_id IS NOT NULL
        WHEN 'area' THEN centre IS NOT NULL AND radius_metres IS NOT NULL
        ELSE council_id IS NOT NULL END)
);
CREATE UNIQUE INDEX alert_subscriptions_live ON alert_subscriptions (fingerprint) WHERE state IN ('pending', 'active');
CREATE INDEX alert_subscriptions_area ON alert_subscriptions USING gist (centre) WHERE kind = 'area' AND state = 'active';
CREATE INDEX alert_subscriptions_council ON alert_subscriptions (council_id) WHERE kind = 'council' AND state = 'active';
CREATE INDEX alert_subscriptions_report ON alert_subscriptions (report_id) WHERE kind = 'report' AND state = 'active';
CREATE INDEX alert_subscriptions_ended ON alert_subscriptions (unsubscribed_at) WHERE state = 'unsubscribed';
CREATE INDEX alert_subscriptions_unconfirmed ON alert_subscriptions (created_at) WHERE state = 'pending';
-- Confirmations sent to one address in the last hour (at most three, whatever they are for).
CREATE INDEX alert_subscriptions_address ON alert_subscriptions (lower(COALESCE(email, webhook_url)), created_at);

-- What a daily subscription has yet to hear about, gathered into one digest a day.
CREATE TABLE alert_digest_items (
    subscription_id uuid NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    report_id       uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES report_events (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, event_id)
);

-- The message log. `id` is the reference Notify echoes in its delivery receipts. `address` is the
-- email or phone number it went to: emptied when the reporter's contact is erased and 30 days
-- after the message (no address is kept longer). Webhook messages go to their subscription's URL.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id      uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    report_id       uuid REFERENCES reports (id) ON DELETE CASCADE,
    event_id        bigint REFERENCES report_events (id) ON DELETE CASCADE,
    subscription_id uuid REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    audience        text NOT NULL CHECK (audience IN ('reporter', 'subscriber')),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    message         text NOT NULL CHECK (message IN ('report_received', 'acknowledged', 'status_changed', 'closed',
                                                    'alert_confirm', 'alert_new_report', 'alert_digest')),
    address         text,
    -- A digest's reports and events: [{"report_id": …, "event_id": …}, …].
    items           jsonb,
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'delivered', 'permanent-failure',
                                                                    'temporary-failure', 'technical-failure', 'failed', 'skipped')),
    state_reason    text,
    -- Notify's id for the message (from its 201 answer).
    provider_id     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_report ON notifications (report_id);
CREATE INDEX notifications_subscription ON notifications (subscription_id);
CREATE INDEX notifications_addressed ON notifications (created_at) WHERE address IS NOT NULL;
CREATE INDEX notifications_created ON notifications (created_at);

-- Addresses a council must not write to again: unsubscribed by STOP, or permanently failing.
-- Kept as a salted SHA-256 of the normalised address (`notification_address_hash`), not the address.
CREATE TABLE notification_suppressions (
    council_id   uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
    address_hash bytea NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('stop', 'permanent-failure')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (council_id, channel, address_hash)
);

CREATE TABLE notification_salt (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    salt     text NOT NULL
);
INSERT INTO notification_salt (salt) VALUES (gen_random_uuid()::text || gen_random_uuid()::text);

-- Addresses compare normalised: emails in lower case; phone numbers as international digits
-- without a prefix, as Notify reports senders (07700 900123, +44 7700 900123, 0044 7700 900123 and
-- 447700900123 are one number; 0033 1 23 45 67 89 is 33123456789).
CREATE FUNCTION notification_address_key(channel text, address text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN channel = 'sms' THEN
        (SELECT CASE WHEN d LIKE '00%' THEN substr(d, 3) WHEN d LIKE '0%' THEN '44' || substr(d, 2) ELSE d END
         FROM regexp_replace(address, '[^0-9]', '', 'g') AS d)
    ELSE lower(btrim(address)) END
$$;

CREATE FUNCTION notification_address_hash(channel text, address text) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to((SELECT salt FROM notification_salt) || ':' || channel || ':' || notification_address_key(channel, address), 'UTF8'))
$$;

CREATE FUNCTION notification_suppressed(council uuid, channel text, address text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM notification_suppressions s
        WHERE s.council_id = council AND s.channel = notification_suppressed.channel
          AND s.address_hash = notification_address_hash(notification_suppressed.channel, address))
$$;

-- The council's notification destination, created on first use (named govuk-notify unless a
-- destination of the council already has that name).
CREATE FUNCTION notification_destination(council uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    found_id uuid;
BEGIN
    FOR attempt IN 1..5 LOOP
        SELECT id INTO found_id FROM destinations WHERE council_id = council AND kind = 'notify';
        IF found_id IS NOT NULL THEN RETURN found_id; END IF;
        INSERT INTO destinations (council_id, name, kind, timeout_seconds, max_attempts)
        VALUES (council, CASE WHEN attempt = 1 THEN 'govuk-notify' ELSE 'govuk-notify-' || attempt END, 'notify', 10, 10)
        ON CONFLICT DO NOTHING;
    END LOOP;
    RAISE EXCEPTION 'no name left for the notification destination of council %', council;
END
$$;

-- Cases never go to the notification destination, whatever a category names.
CREATE OR REPLACE FUNCTION dispatch_destination(council uuid, category uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT d.id FROM categories c
        JOIN destinations d ON d.council_id = council AND (d.name = c.destination OR d.is_default) AND d.kind <> 'notify'
        WHERE c.id = category
        ORDER BY (d.name = c.destination) DESC NULLS LAST
        LIMIT 1);
END
$$;

-- A job carries a case event, a payment or a message.
ALTER TABLE dispatch_jobs
    ADD COLUMN notification_id uuid REFERENCES notifications (id) ON DELETE CASCADE,
    DROP CONSTRAINT dispatch_jobs_one_subject,
    ADD CONSTRAINT dispatch_jobs_one_subject CHECK (
        (report_id IS NOT NULL AND event_id IS NOT NULL)::int + (payment_intent_id IS NOT NULL)::int
        + (notification_id IS NOT NULL)::int = 1);
CREATE UNIQUE INDEX dispatch_jobs_notification ON dispatch_jobs (notification_id) WHERE notification_id IS NOT NULL;

ALTER TABLE dispatch_attempts
    DROP CONSTRAINT dispatch_attempts_outcome_check,
    ADD CONSTRAINT dispatch_attempts_outcome_check
        CHECK (outcome IN ('delivered', 'retry', 'dead', 'gone', 'awaiting_token', 'skipped'));

-- A message's job that dies (on its last attempt, or when its last lease runs out) leaves the
-- message `failed`; a redrive that then delivers it moves it on.
CREATE FUNCTION notification_follows_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications SET state = 'failed', state_reason = NEW.last_error, updated_at = now()
    WHERE id = NEW.notification_id AND state = 'queued';
    RETURN NULL;
END
$$;
CREATE TRIGGER notification_follows_job AFTER UPDATE OF state ON dispatch_jobs
    FOR EACH ROW WHEN (NEW.notification_id IS NOT NULL AND NEW.state = 'dead' AND OLD.state <> 'dead')
    EXECUTE FUNCTION notification_follows_job();

-- One message and its job. Messages to one recipient about one thing (a reporter's report, a
-- subscription) share a group, so they arrive in the order they happened.
CREATE FUNCTION queue_notification(council uuid, report uuid, event bigint, subscription uuid, audience text,
                                   channel text, message text, address text, items jsonb DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    message_id uuid;
BEGIN
    INSERT INTO notifications (council_id, report_id, event_id, subscription_id, audience, channel, message, address, items)
    VALUES (council, report, event, subscription, audience, channel, message, address, items)
    RETURNING id INTO message_id;
    INSERT INTO dispatch_jobs (notification_id, event_type, destination_id, group_key)
    VALUES (message_id, CASE WHEN channel = 'webhook' THEN 'alert.' ELSE 'notify.' END || message,
        notification_destination(council),
        COALESCE(subscription, md5('reporter:' || report::text)::uuid));
    RETURN message_id;
END
$$;

-- A subscriber's share of an event: a digest item for daily subscriptions, else a message now
-- (email only when the sending council's Notify has the template).
CREATE FUNCTION queue_alert(subscription alert_subscriptions, report uuid, event bigint, message text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF subscription.frequency = 'daily' THEN
        INSERT INTO alert_digest_items (subscription_id, report_id, event_id) VALUES (subscription.id, report, event)
        ON CONFLICT DO NOTHING;
    ELSIF subscription.webhook_url IS NOT NULL THEN
        PERFORM queue_notification(subscription.sender_council_id, report, event, subscription.id, 'subscriber',
            'webhook', message, NULL);
    ELSIF EXISTS (SELECT 1 FROM council_notify_settings s WHERE s.council_id = subscription.sender_council_id
                  AND s.templates ? message AND 'email' = ANY (s.channels))
          AND NOT notification_suppressed(subscription.sender_council_id, 'email', subscription.email) THEN
        PERFORM queue_notification(subscription.sender_council_id, report, event, subscription.id, 'subscriber',
            'email', message, subscription.email);
    END IF;
END
$$;

-- Every public event that is news to someone queues its messages in the event's own transaction,
-- whichever path wrote it (intake, the back office, Open311 updates, the console): a trigger,
-- so that no writer can forget. Events that are not news (routing, dispatch, the reporter's own
-- comments and photos, a status "change" to the same status with no public note) queue nothing.
CREATE FUNCTION notifications_for_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    report record;
    settings record;
    message text;
    previous text;
    channel text;
    address text;
    subscription alert_subscriptions;
BEGIN
    IF NEW.kind = 'status_changed' THEN
        SELECT e.status INTO previous FROM report_events e
        WHERE e.report_id = NEW.report_id AND e.id < NEW.id AND e.kind = 'status_changed'
        ORDER BY e.id DESC LIMIT 1;
        IF NEW.status IS NOT DISTINCT FROM COALESCE(previous, 'open') AND NEW.public_note IS NULL THEN
            RETURN NULL;
        END IF;
        message := CASE WHEN NEW.status IN ('fixed', 'closed', 'duplicate', 'not_councils_responsibility',
                                            'no_further_action', 'internal_referral', 'cancelled')
                        THEN 'closed' ELSE 'status_changed' END;
    ELSIF NEW.kind = 'created' THEN
        message := 'report_received';
    ELSIF NEW.kind = 'acknowledged' THEN
        -- A council that changes its reference acknowledges again: not news to anyone.
        IF EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = NEW.report_id AND e.id < NEW.id AND e.kind = 'acknowledged') THEN
            RETURN NULL;
        END IF;
        message := 'acknowledged';
    ELSE
        RETURN NULL;
    END IF;

    SELECT r.council_id, r.category_id, r.location, r.notify, r.reporter_email, r.reporter_phone, r.contact_erased_at
    INTO report FROM reports r WHERE r.id = NEW.report_id;

    -- The reporter: by email if they gave one and the council sends email, else by text.
    SELECT s.templates, s.channels INTO settings FROM council_notify_settings s WHERE s.council_id = report.council_id;
    IF FOUND AND report.notify AND report.contact_erased_at IS NULL AND settings.templates ? message THEN
        IF report.reporter_email IS NOT NULL AND 'email' = ANY (settings.channels) THEN
            channel := 'email'; address := report.reporter_email;
        ELSIF report.reporter_phone IS NOT NULL AND 'sms' = ANY (settings.channels) THEN
            channel := 'sms'; address := report.reporter_phone;
        END IF;
        IF channel IS NOT NULL AND NOT notification_suppressed(report.council_id, channel, address) THEN
            PERFORM queue_notification(report.council_id, NEW.report_id, NEW.id, NULL, 'reporter', channel, message, address);
        END IF;
    END IF;

    IF NEW.kind = 'created' THEN
        -- New reports, for area and council alerts. The first distance is the largest radius,
        -- which the area index can use; the second is the subscription's own.
        FOR subscription IN
            SELECT * FROM alert_subscriptions s
            WHERE s.state = 'active' AND s.kind = 'council' AND s.council_id = report.council_id
              AND (s.category_id IS NULL OR s.category_id = report.category_id)
            UNION ALL
            SELECT * FROM alert_subscriptions s
            WHERE s.state = 'active' AND s.kind = 'area'
              AND ST_DWithin(s.centre, report.location::geography, 5000)
              AND ST_DWithin(s.centre, report.location::geography, s.radius_metres)
        LOOP
            PERFORM queue_alert(subscription, NEW.report_id, NEW.id, 'alert_new_report');
        END LOOP;
    ELSE
        -- Followers of this report hear what its reporter hears.
        FOR subscription IN
            SELECT * FROM alert_subscriptions s WHERE s.state = 'active' AND s.kind = 'report' AND s.report_id = NEW.report_id
        LOOP
            PERFORM queue_alert(subscription, NEW.report_id, NEW.id, message);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_for_event AFTER INSERT ON report_events
    FOR EACH ROW EXECUTE FUNCTION notifications_for_event();
