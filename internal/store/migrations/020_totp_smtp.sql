-- Optional TOTP second factor for people (issue 27). The secret is sealed with
-- the installation's secret key (internal/secrets) like every other secret;
-- totp_enabled turns it on once the person confirmed a code; totp_last_step is
-- the last 30-second step accepted, so a code is never accepted twice.
-- (SMTP for invitations is configured by environment: nothing to store.)
ALTER TABLE users ADD COLUMN totp_secret    text    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled   boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN totp_last_step bigint  NOT NULL DEFAULT 0;

-- A sign-in whose password was right and whose code is awaited: the browser
-- holds a random token whose SHA-256 is the key; a few wrong codes, or five
-- minutes, end it.
CREATE TABLE user_mfa_challenges (
    id_hash    text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    attempts   int NOT NULL DEFAULT 0
);
CREATE INDEX user_mfa_challenges_expires ON user_mfa_challenges (expires_at);
