-- Closed by default (issue 12).

-- Every integration takes postbacks only with one of its live tokens, unless it was
-- created open. Several live tokens let a network's URL be changed without a gap
-- (rotation with overlap). secret is sealed by internal/secrets; the plaintext
-- tokens this migration writes are sealed by the application at its next start
-- (store.SealSecrets), since SQL does not hold the key.
ALTER TABLE integrations ADD COLUMN open boolean NOT NULL DEFAULT false;

CREATE TABLE integration_tokens (
    id              bigserial PRIMARY KEY,
    integration_id  bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    secret          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
CREATE INDEX integration_tokens_live ON integration_tokens (integration_id) WHERE revoked_at IS NULL;

-- Existing integrations keep the token they had, or get a random one
-- (gen_random_uuid draws from the server's strong random source).
INSERT INTO integration_tokens (integration_id, secret)
SELECT id, CASE WHEN token <> '' THEN token
               ELSE 'it_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '') END
FROM integrations;
ALTER TABLE integrations DROP COLUMN token;

-- Admin keys: a handle to list and revoke them by, a role, and when each was last used.
ALTER TABLE api_keys
    ADD COLUMN id           bigserial UNIQUE,
    ADD COLUMN role         text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'read')),
    ADD COLUMN revoked_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;

-- Retention deletes the oldest rows in small batches.
CREATE INDEX postback_log_received ON postback_log (received_at);
CREATE INDEX clicks_created ON clicks (created_at);
CREATE INDEX deliveries_created ON deliveries (created_at);
