-- A team in one account (issue 27): roles for keys, people (users) with
-- server-side sessions, and the audit log of every change.

-- Key roles: owner, admin, buyer, viewer; 'read' stays for the keys made before
-- roles (a viewer that also reads, with personal data masked). A buyer or viewer
-- key may be limited to some campaigns; a key may belong to a user.
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'buyer', 'viewer', 'read'));
ALTER TABLE api_keys ADD COLUMN campaign_ids bigint[] NOT NULL DEFAULT '{}';

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email         text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'buyer', 'viewer')),
    campaign_ids  bigint[] NOT NULL DEFAULT '{}',
    password_hash text NOT NULL DEFAULT '',        -- bcrypt; '' until the invitation is accepted
    invite_hash   text UNIQUE,                     -- SHA-256 of the one-time invitation token
    invite_expires_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    UNIQUE (account_id, email)
);

ALTER TABLE api_keys ADD COLUMN user_id bigint REFERENCES users(id) ON DELETE CASCADE;

-- Console sessions live here, not in the cookie: the cookie holds a random id
-- whose SHA-256 is the key. Revoking the user or signing out everywhere deletes
-- the rows, so the session ends at the next request.
CREATE TABLE user_sessions (
    id_hash     text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);

-- Every change made through the admin layer: who, when, what, before and after
-- (secrets masked before they are written).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,        -- admin.Principal.Who: user:<email>, key:<id>
    role        text NOT NULL DEFAULT '',
    action      text NOT NULL,        -- e.g. destination.update
    target      text NOT NULL DEFAULT '', -- e.g. destination:12
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_account ON audit_log (account_id, id DESC);
CREATE INDEX audit_log_at ON audit_log (at);
