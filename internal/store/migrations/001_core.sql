-- Accounts, their admin keys and the integrations networks post to.
CREATE TABLE accounts (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    currency    char(3) NOT NULL DEFAULT 'USD',
    timezone    text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of each admin key is kept; the key itself is shown once.
CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE integrations (
    id            bigserial PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slug          text NOT NULL,
    preset        text NOT NULL,
    token         text NOT NULL DEFAULT '',
    allowed_cidrs text[] NOT NULL DEFAULT '{}',
    field_map     jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    UNIQUE (account_id, slug)
);

-- Every request a network sends, accepted or not. A row with outcome 'accepted' and
-- no dispatched_at has not yet been handed to Temporal; the dispatcher claims it.
CREATE TABLE postback_log (
    id             bigserial PRIMARY KEY,
    account_id     text,
    integration    text NOT NULL DEFAULT '',
    method         text NOT NULL,
    path           text NOT NULL,
    raw_query      text NOT NULL DEFAULT '',
    raw_body       text NOT NULL DEFAULT '',
    source_ip      text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now(),
    canonical      jsonb,
    transaction_id text NOT NULL DEFAULT '',
    workflow_id    text NOT NULL DEFAULT '',
    outcome        text NOT NULL,
    error          text NOT NULL DEFAULT '',
    note           text NOT NULL DEFAULT '',
    claimed_by     text NOT NULL DEFAULT '',
    claimed_at     timestamptz,
    picked         boolean NOT NULL DEFAULT false,
    dispatched_at  timestamptz,
    processed_at   timestamptz
);
CREATE INDEX postback_log_undispatched ON postback_log (id) WHERE outcome = 'accepted' AND dispatched_at IS NULL;
CREATE INDEX postback_log_account ON postback_log (account_id, id DESC);
CREATE INDEX postback_log_tx ON postback_log (account_id, transaction_id);

CREATE TABLE campaigns (
    id                       bigserial PRIMARY KEY,
    account_id               text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                     text NOT NULL,
    offer_url                text NOT NULL,
    default_payout           numeric(20,6),
    traffic_source           text NOT NULL DEFAULT '',
    traffic_source_postback  text NOT NULL DEFAULT '',
    attribution_window_days  int NOT NULL DEFAULT 30,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at               timestamptz
);

CREATE TABLE clicks (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    campaign_id  bigint REFERENCES campaigns(id) ON DELETE SET NULL,
    visitor_id   text NOT NULL DEFAULT '',
    page_id      text NOT NULL DEFAULT '',
    external_id  text NOT NULL DEFAULT '',
    ref_id       text NOT NULL DEFAULT '',
    email        text NOT NULL DEFAULT '',
    fbclid       text NOT NULL DEFAULT '',
    gclid        text NOT NULL DEFAULT '',
    gbraid       text NOT NULL DEFAULT '',
    wbraid       text NOT NULL DEFAULT '',
    ttclid       text NOT NULL DEFAULT '',
    fbp          text NOT NULL DEFAULT '',
    fbc          text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    referrer     text NOT NULL DEFAULT '',
    subs         jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clicks_visitor ON clicks (account_id, visitor_id, created_at DESC) WHERE visitor_id <> '';
CREATE INDEX clicks_external ON clicks (account_id, external_id, created_at DESC) WHERE external_id <> '';
CREATE INDEX clicks_ref ON clicks (account_id, ref_id, created_at DESC) WHERE ref_id <> '';
CREATE INDEX clicks_email ON clicks (account_id, email, created_at DESC) WHERE email <> '';
CREATE INDEX clicks_campaign_time ON clicks (account_id, campaign_id, created_at);

-- A visitor's session slides forward with each hit (FunnelFlux: 4 days by default).
CREATE TABLE visitors (
    id            text NOT NULL,
    account_id    text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    last_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);

-- One row per transaction; a rejection soft-deletes it so the history stays.
CREATE TABLE conversions (
    id                   bigserial PRIMARY KEY,
    account_id           text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    tx_key               text NOT NULL,
    transaction_id       text NOT NULL DEFAULT '',
    integration          text NOT NULL DEFAULT '',
    status               text NOT NULL,
    value                numeric(20,6) NOT NULL DEFAULT 0,
    currency             char(3) NOT NULL,
    event_name           text NOT NULL,
    click_id             text NOT NULL DEFAULT '',
    campaign_id          bigint,
    traffic_source       text NOT NULL DEFAULT '',
    attributed           boolean NOT NULL DEFAULT false,
    unattributed_reason  text NOT NULL DEFAULT '',
    postback             jsonb NOT NULL DEFAULT '{}',
    converted_at         timestamptz NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    UNIQUE (account_id, tx_key)
);
CREATE INDEX conversions_account ON conversions (account_id, id DESC);
CREATE INDEX conversions_click ON conversions (account_id, click_id);
CREATE INDEX conversions_tx ON conversions (account_id, transaction_id);

-- Every transition, with the postback that caused it; postback_id makes a retried
-- write a no-op.
CREATE TABLE conversion_events (
    id             bigserial PRIMARY KEY,
    conversion_id  bigint NOT NULL REFERENCES conversions(id) ON DELETE CASCADE,
    postback_id    bigint UNIQUE,
    from_status    text NOT NULL DEFAULT '',
    to_status      text NOT NULL,
    value          numeric(20,6) NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE destinations (
    id           bigserial PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    type         text NOT NULL,
    name         text NOT NULL,
    endpoint     text NOT NULL DEFAULT '',
    config       jsonb NOT NULL DEFAULT '{}',
    fire_on      text NOT NULL DEFAULT 'first',
    campaign_id  bigint REFERENCES campaigns(id) ON DELETE CASCADE,
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);

-- One row per (transaction, destination, event): event_key is the idempotency key
-- sent to the platform, so a retry or re-run never double-counts.
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    account_id      text NOT NULL,
    conversion_id   bigint NOT NULL REFERENCES conversions(id) ON DELETE CASCADE,
    destination_id  bigint NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    postback_id     bigint,
    kind            text NOT NULL DEFAULT 'conversion',
    event_key       text NOT NULL UNIQUE,
    status          text NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    last_code       int NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX deliveries_conversion ON deliveries (conversion_id);
CREATE INDEX deliveries_account ON deliveries (account_id, id DESC);
CREATE INDEX deliveries_postback ON deliveries (postback_id);
