-- What payment intents need around them: each council's payment settings (provider account,
-- fund code, limits, account-reference rule), the provider's references and the payer's page,
-- deduplicated provider events, the built-in sandbox provider's payments, and the hand-off of
-- paid intents to the council's revenues destination through the dispatch queue.

CREATE TABLE council_payment_settings (
    council_id            uuid PRIMARY KEY REFERENCES councils (id) ON DELETE CASCADE,
    provider              text NOT NULL CHECK (provider IN ('sandbox', 'govuk_pay')),
    -- The council's GOV.UK Pay API key and webhook signing secret: stored as given, because
    -- they must be usable to call the provider and to verify its webhooks.
    provider_api_key      text,
    webhook_secret        text NOT NULL,
    -- The revenues system's fund (income) code for council tax, part of every posting.
    fund_code             text NOT NULL,
    max_amount_pence      bigint NOT NULL DEFAULT 10000000 CHECK (max_amount_pence BETWEEN 1 AND 10000000),
    reference_pattern     text NOT NULL,
    reference_check       text NOT NULL DEFAULT 'none' CHECK (reference_check IN ('none', 'modulus_11')),
    reference_description text NOT NULL,
    reference_example     text NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (provider <> 'govuk_pay' OR provider_api_key IS NOT NULL)
);

ALTER TABLE payment_intents
    ADD COLUMN fund_code      text NOT NULL DEFAULT '',
    ADD COLUMN description    text NOT NULL DEFAULT '',
    -- Where the payer goes (the provider's hosted page).
    ADD COLUMN next_url       text,
    -- When the money was taken (the provider said success): the reconciliation date.
    ADD COLUMN paid_at        timestamptz,
    -- The provider's failure code (GOV.UK Pay P0010…P0050) when it failed.
    ADD COLUMN failure_code   text;
CREATE INDEX payment_intents_paid ON payment_intents (council_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX payment_intents_reference ON payment_intents (council_id, account_reference, created_at DESC, id DESC);

-- The allowed moves, as the database's own guard (PaymentState.transitions is the source; a
-- test checks the two agree). No code path can move an intent any other way.
CREATE FUNCTION payment_move_allowed(from_state text, to_state text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_state, to_state) IN (
        ('created', 'pending'), ('created', 'failed'), ('created', 'cancelled'), ('created', 'expired'),
        ('pending', 'succeeded'), ('pending', 'failed'), ('pending', 'cancelled'), ('pending', 'expired'),
        ('succeeded', 'posting_queued'),
        ('posting_queued', 'posted'), ('posting_queued', 'posting_failed'),
        ('posting_failed', 'posting_queued'))
$$;

CREATE FUNCTION payment_intents_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> OLD.state AND NOT payment_move_allowed(OLD.state, NEW.state) THEN
        RAISE EXCEPTION 'payment intent % may not move from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payment_intents_guard BEFORE UPDATE OF state ON payment_intents
    FOR EACH ROW EXECUTE FUNCTION payment_intents_guard();

-- Provider webhook events already seen (at-least-once delivery): a repeat is answered and ignored.
CREATE TABLE payment_provider_events (
    provider    text NOT NULL,
    event_id    text NOT NULL,
    intent_id   uuid REFERENCES payment_intents (id) ON DELETE CASCADE,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX payment_provider_events_received ON payment_provider_events (received_at);

-- The sandbox provider's own payments: what the pay-or-decline page changes.
CREATE TABLE sandbox_payments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id   uuid NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    amount_pence bigint NOT NULL,
    reference    text NOT NULL,
    description  text NOT NULL,
    return_url   text NOT NULL,
    status       text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'success', 'failed', 'cancelled')),
    failure_code text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The council's revenues destination: where paid intents are handed off (pull or webhook).
ALTER TABLE destinations
    ADD COLUMN receives_payments boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT destinations_payments_kind CHECK (NOT receives_payments OR kind <> 'open311');
CREATE UNIQUE INDEX destinations_one_revenues ON destinations (council_id) WHERE receives_payments;

-- A dispatch job carries either a case event or a payment.
ALTER TABLE dispatch_jobs
    ALTER COLUMN report_id DROP NOT NULL,
    ALTER COLUMN event_id DROP NOT NULL,
    ADD COLUMN payment_intent_id uuid REFERENCES payment_intents (id) ON DELETE CASCADE,
    ADD CONSTRAINT dispatch_jobs_one_subject
        CHECK ((report_id IS NOT NULL AND event_id IS NOT NULL) <> (payment_intent_id IS NOT NULL));
-- One hand-off per paid intent, whatever races to write it.
CREATE UNIQUE INDEX dispatch_jobs_payment ON dispatch_jobs (payment_intent_id, event_type)
    WHERE payment_intent_id IS NOT NULL;

CREATE OR REPLACE FUNCTION dispatch_jobs_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.group_key := COALESCE(NEW.group_key, NEW.report_id, NEW.payment_intent_id);
    RETURN NEW;
END
$$;

-- The hand-off's outcome follows its job, in the transaction that finishes the job (a pull ack,
-- a delivered webhook, a job going dead, a redrive), so the two can never disagree.
CREATE FUNCTION payment_posting_follows_job() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    expected text;
    next_state text;
    who text;
    why text;
BEGIN
    IF NEW.state = 'done' THEN
        expected := 'posting_queued'; next_state := 'posted'; who := 'revenues';
        why := 'acknowledged by the revenues back office';
    ELSIF NEW.state = 'dead' THEN
        expected := 'posting_queued'; next_state := 'posting_failed'; who := 'system';
        why := 'hand-off failed after ' || NEW.attempts || ' attempts: ' || COALESCE(NEW.last_error, 'no answer');
    ELSIF OLD.state = 'dead' AND NEW.state = 'pending' THEN
        expected := 'posting_failed'; next_state := 'posting_queued'; who := 'operator';
        why := 'hand-off redriven';
    ELSE
        RETURN NULL;
    END IF;
    WITH moved AS (
        UPDATE payment_intents SET state = next_state, updated_at = now()
        WHERE id = NEW.payment_intent_id AND state = expected
        RETURNING id
    )
    INSERT INTO payment_events (intent_id, from_state, to_state, actor, reason)
    SELECT id, expected, next_state, who, why FROM moved;
    RETURN NULL;
END
$$;
CREATE TRIGGER payment_posting_follows_job AFTER UPDATE OF state ON dispatch_jobs
    FOR EACH ROW WHEN (NEW.payment_intent_id IS NOT NULL AND NEW.state IS DISTINCT FROM OLD.state)
    EXECUTE FUNCTION payment_posting_follows_job();
