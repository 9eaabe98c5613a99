-- Each council's GOV.UK Notify settings (one row per council that sends notifications). The API
-- key is stored sealed (`sealed:v1:…`, see SecretKeyring); template ids are Notify's UUIDs by
-- message name.
CREATE TABLE council_notify_settings (
    council_id uuid PRIMARY KEY REFERENCES councils (id) ON DELETE CASCADE,
    api_key text NOT NULL,
    templates jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(templates) = 'object'),
    email_reply_to_id uuid,
    sms_sender_id uuid,
    channels text[] NOT NULL DEFAULT '{email}' CHECK (channels <@ ARRAY['email', 'sms']::text[]),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
