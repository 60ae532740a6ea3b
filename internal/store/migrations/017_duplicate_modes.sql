-- Duplicate modes (docs/rules.md "Duplicate modes"): what a repeated approval
-- of an approved transaction means. Set per integration (default ignore: the
-- state machine as it always was); a campaign may override it ('' = its
-- integrations decide).
ALTER TABLE integrations ADD COLUMN duplicate_mode text NOT NULL DEFAULT 'ignore'
    CONSTRAINT integrations_duplicate_mode CHECK (duplicate_mode IN ('ignore', 'new', 'edit', 'add'));
ALTER TABLE campaigns ADD COLUMN duplicate_mode text NOT NULL DEFAULT ''
    CONSTRAINT campaigns_duplicate_mode CHECK (duplicate_mode IN ('', 'ignore', 'new', 'edit', 'add'));

-- Mode new records each rebill as its own conversion of the same transaction:
-- same tx_key (so the same workflow), numbered by rebill (0: the transaction's
-- own conversion, every row before this migration).
ALTER TABLE conversions ADD COLUMN rebill int NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX conversions_account_tx_rebill ON conversions (account_id, tx_key, rebill);
ALTER TABLE conversions DROP CONSTRAINT conversions_account_id_tx_key_key;
