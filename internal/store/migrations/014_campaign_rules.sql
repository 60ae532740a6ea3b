-- Network and traffic-source rules (docs/rules.md).
--
-- 1. A campaign's traffic-source postback takes the life events the campaign
-- names (traffic_source_fire_on), by default what a hand-made postback
-- destination takes: the approval. The destination a campaign made from
-- traffic_source_postback was stored with fire_on = 'first', so a conversion
-- that started pending told the source 0.01 and never the approval: those move
-- to the new default. A campaign keeps what its destination takes after that.
ALTER TABLE campaigns ADD COLUMN traffic_source_fire_on text NOT NULL DEFAULT 'approved'
    CONSTRAINT campaigns_traffic_source_fire_on_set CHECK (
        traffic_source_fire_on ~ '^(first|approved|value_change|rejected)(,(first|approved|value_change|rejected))*$');
UPDATE destinations SET fire_on = 'approved', updated_at = now()
    WHERE config->>'managed_by' = 'campaign' AND fire_on = 'first';
UPDATE campaigns c SET traffic_source_fire_on = d.fire_on
    FROM destinations d
    WHERE d.campaign_id = c.id AND d.account_id = c.account_id AND d.config->>'managed_by' = 'campaign'
      AND d.deleted_at IS NULL;

-- 2. Per-integration status vocabulary on top of the preset's: word or code
-- (keyed like preset words: lower case, no spaces, '_' or '-') to pending,
-- approved, rejected or ignore; and what an unknown word means.
ALTER TABLE integrations
    ADD COLUMN status_map jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN unknown_status text NOT NULL DEFAULT 'approve'
        CONSTRAINT integrations_unknown_status CHECK (unknown_status IN ('approve', 'reject'));

-- 3. What the traffic source is told it earns ({payout}): the revenue, a
-- percentage of it, or a fixed amount per event; in the conversion's currency
-- or the account's.
ALTER TABLE campaigns
    ADD COLUMN payout_rule text NOT NULL DEFAULT 'revenue'
        CONSTRAINT campaigns_payout_rule CHECK (payout_rule IN ('revenue', 'percent', 'fixed')),
    ADD COLUMN payout_amount numeric(20,6),
    ADD COLUMN payout_currency text NOT NULL DEFAULT 'conversion'
        CONSTRAINT campaigns_payout_currency CHECK (payout_currency IN ('conversion', 'account'));

-- 4. Caps on what the traffic source is sent: a list of {event, daily, total}
-- ("" event: every event), and what happens past one (hold or reject). Slots
-- are counted per (campaign, event, period) in campaign_cap_usage; period is
-- 'total' or the day in the account's time zone. A slot is taken by a
-- conditional UPDATE (used < cap) in the transaction that creates the
-- delivery, so two transactions never both take the last one.
ALTER TABLE campaigns
    ADD COLUMN caps jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN cap_action text NOT NULL DEFAULT 'hold'
        CONSTRAINT campaigns_cap_action CHECK (cap_action IN ('hold', 'reject'));
CREATE TABLE campaign_cap_usage (
    campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    event_name  text NOT NULL,
    period      text NOT NULL,
    used        int NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, event_name, period)
);
