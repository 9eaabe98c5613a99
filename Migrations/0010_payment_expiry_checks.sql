-- When the expiry sweep last asked the provider about an intent: intents whose provider cannot
-- answer go to the back of the sweep instead of holding up the rest.
ALTER TABLE payment_intents ADD COLUMN expiry_checked_at timestamptz;
DROP INDEX payment_intents_open;
CREATE INDEX payment_intents_open ON payment_intents (expiry_checked_at NULLS FIRST, expires_at)
    WHERE state IN ('created', 'pending');
