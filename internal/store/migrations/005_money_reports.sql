-- Account settings, currency conversion at record time, report dimensions from the
-- click, and the keys CSV imports are made idempotent by.

-- Where a phone number without a country code is taken to be from (ISO 3166 alpha-2;
-- empty: unknown).
ALTER TABLE accounts ADD COLUMN default_phone_region text NOT NULL DEFAULT '';

-- Daily reference rates: one unit of base buys 'rate' units of quote. The ECB
-- publishes EUR-based rates; other pairs are crossed through EUR (fx_rate).
CREATE TABLE fx_rates (
    rate_date   date NOT NULL,
    base        char(3) NOT NULL,
    quote       char(3) NOT NULL,
    rate        numeric(24,10) NOT NULL CHECK (rate > 0),
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base, quote, rate_date)
);

-- fx_rate is how many units of dst one unit of src buys on on_date: 1 for the same
-- currency, otherwise the EUR cross rate of the latest date on or before on_date that
-- has both. No row: not known yet.
CREATE FUNCTION fx_rate(src text, dst text, on_date date) RETURNS TABLE (rate numeric, rate_date date)
LANGUAGE sql STABLE AS $$
    SELECT 1::numeric, on_date WHERE src = dst
    UNION ALL
    (SELECT round(x.dr / x.sr, 10), x.dt FROM (
        SELECT r.rate_date AS dt,
            CASE WHEN src = 'EUR' THEN 1 ELSE max(r.rate) FILTER (WHERE r.quote = src) END AS sr,
            CASE WHEN dst = 'EUR' THEN 1 ELSE max(r.rate) FILTER (WHERE r.quote = dst) END AS dr
        FROM fx_rates r
        WHERE r.base = 'EUR' AND r.quote IN (src, dst) AND r.rate_date <= on_date
        GROUP BY r.rate_date) x
     WHERE src <> dst AND x.sr IS NOT NULL AND x.dr IS NOT NULL
     ORDER BY x.dt DESC LIMIT 1)
$$;

-- The value in the account's currency, with the rate used and its date. NULL
-- value_account: the rate is not known yet (reports count it as unconverted).
ALTER TABLE conversions
    ADD COLUMN value_account     numeric(32,6),
    ADD COLUMN account_currency  char(3),
    ADD COLUMN rate              numeric(24,10),
    ADD COLUMN rate_date         date,
    -- Report dimensions copied from the attributed click when recorded, so reports
    -- read one table; country falls back to the postback's two-letter country.
    ADD COLUMN subs              jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN country           text NOT NULL DEFAULT '',
    ADD COLUMN device_type       text NOT NULL DEFAULT '',
    ADD COLUMN os                text NOT NULL DEFAULT '',
    ADD COLUMN browser           text NOT NULL DEFAULT '';
CREATE INDEX conversions_unconverted ON conversions (id) WHERE value_account IS NULL;
-- Existing conversions already in their account's currency need no rate.
UPDATE conversions v SET value_account = v.value, account_currency = a.currency, rate = 1,
    rate_date = (v.converted_at AT TIME ZONE 'UTC')::date
FROM accounts a WHERE a.id = v.account_id AND v.currency = a.currency;
UPDATE conversions v SET account_currency = a.currency FROM accounts a WHERE a.id = v.account_id AND v.account_currency IS NULL;

-- Parsed from the user agent (and a country header or parameter) at click time.
ALTER TABLE clicks
    ADD COLUMN country     text NOT NULL DEFAULT '',
    ADD COLUMN device_type text NOT NULL DEFAULT '',
    ADD COLUMN os          text NOT NULL DEFAULT '',
    ADD COLUMN browser     text NOT NULL DEFAULT '';

-- Reports filter by account and time, then group: these covering indexes let the
-- common shapes (campaign, day, country, device, OS, browser; status, event,
-- integration, traffic source) be answered by index-only scans, without reading
-- the wide rows (measured: see README, report latency). Subs stay in the table.
CREATE INDEX clicks_report ON clicks (account_id, created_at)
    INCLUDE (campaign_id, country, device_type, os, browser);
CREATE INDEX conversions_report ON conversions (account_id, converted_at)
    INCLUDE (status, value_account, account_currency, campaign_id, traffic_source, integration, event_name,
             country, device_type, os, browser);

-- A CSV import row's deterministic key: uploading the same file again finds it.
ALTER TABLE postback_log ADD COLUMN import_key text;
CREATE UNIQUE INDEX postback_log_import_key ON postback_log (account_id, import_key) WHERE import_key IS NOT NULL;
