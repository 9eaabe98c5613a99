-- Council-tax payment intents and their append-only history. Money is integer pence. A state
-- changes only through a guarded update (… WHERE state = expected) that also writes an event.

CREATE TABLE payment_intents (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id         uuid NOT NULL REFERENCES councils (id),
    purpose            text NOT NULL CHECK (purpose IN ('council_tax')),
    account_reference  text NOT NULL,
    amount_pence       bigint NOT NULL CHECK (amount_pence > 0),
    state              text NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'pending', 'succeeded', 'failed',
                                   'cancelled', 'expired', 'posting_queued', 'posted', 'posting_failed')),
    payer_name         text,
    payer_email        text,
    return_url         text NOT NULL,
    metadata           jsonb NOT NULL DEFAULT '{}',
    provider           text NOT NULL,
    provider_reference text,
    client_key_id      uuid REFERENCES api_keys (id),
    expires_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_intents_council_created ON payment_intents (council_id, created_at DESC, id DESC);
CREATE INDEX payment_intents_open ON payment_intents (expires_at) WHERE state IN ('created', 'pending');
CREATE UNIQUE INDEX payment_intents_provider_reference ON payment_intents (provider, provider_reference)
    WHERE provider_reference IS NOT NULL;

CREATE TABLE payment_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    intent_id   uuid NOT NULL REFERENCES payment_intents (id) ON DELETE CASCADE,
    from_state  text,
    to_state    text NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_intent ON payment_events (intent_id, id);
