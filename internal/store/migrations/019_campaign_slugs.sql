-- Issue 24, trust second round.
--
-- Public campaign ids are not guessable: each campaign gets a random slug (128
-- bits from gen_random_uuid, as 32 hex digits) and the click redirect is
-- GET /c/{slug}. The numeric id stays for the admin API; /c/{number} is refused
-- with 404 (README, Security). Existing campaigns are backfilled with a random
-- slug; new ones get theirs from the default.
ALTER TABLE campaigns ADD COLUMN slug text;
UPDATE campaigns SET slug = replace(gen_random_uuid()::text, '-', '') WHERE slug IS NULL;
ALTER TABLE campaigns
    ALTER COLUMN slug SET DEFAULT replace(gen_random_uuid()::text, '-', ''),
    ALTER COLUMN slug SET NOT NULL,
    ADD CONSTRAINT campaigns_slug_key UNIQUE (slug);

-- Console sessions signed in with an API key are server-side too, like the
-- people's sessions of migration 016: the cookie holds a random id whose
-- SHA-256 is the key here, so nothing in the database can be turned into a
-- cookie. Signing out deletes the row; revoking the key (or its user) ends the
-- session at the next request on every replica, because each request reads the
-- row joined with the live key.
CREATE TABLE key_sessions (
    id_hash     text PRIMARY KEY,
    key_id      bigint NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX key_sessions_key ON key_sessions (key_id);
CREATE INDEX key_sessions_expires ON key_sessions (expires_at);

-- The signing key of the old key sessions is not used for sessions any more.
-- It stays as the CSRF key of console forms (bound to the session cookie, which
-- the database does not hold).
