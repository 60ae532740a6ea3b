-- Cost (issue 26): what a click cost, in the account's currency, so reports show
-- cost, profit, ROI and CPA.
--
-- A click's cost comes from its cost parameter (a traffic source's {cost} macro on
-- the tracking link) or from a campaign cost posted for a day or an hour (POST
-- /costs, the CSV import of costs), which is spread over the campaign's clicks of
-- that period and replaces their own costs there. Either way reports read one
-- thing, the clicks' cost, through the click counts of migrations 009 and 011: a
-- report by any dimension a click has (sub1, country...) gets its share of cost.

-- NULL: no cost known.
ALTER TABLE clicks ADD COLUMN cost numeric(24,6);

-- Campaign costs as posted: the period [period_start, period_end) is a local day
-- or hour of the account's time zone; amount in currency, amount_account in the
-- account's currency at the rate of the period's UTC date (fx_rate, as
-- conversions are converted); clicks is how many clicks it was spread over.
CREATE TABLE costs (
    account_id        text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    campaign_id       bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL CHECK (period_end > period_start),
    amount            numeric(24,6) NOT NULL CHECK (amount >= 0),
    currency          char(3) NOT NULL,
    amount_account    numeric(24,6) NOT NULL,
    account_currency  char(3) NOT NULL,
    rate              numeric(24,10) NOT NULL,
    rate_date         date NOT NULL,
    clicks            bigint NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, campaign_id, period_start)
);

-- The click counts carry the sum of their clicks' costs. Their folded indexes
-- include it, so a report still reads them without visiting the rows.
ALTER TABLE click_counts ADD COLUMN cost numeric NOT NULL DEFAULT 0;
ALTER TABLE click_counts_sub1 ADD COLUMN cost numeric NOT NULL DEFAULT 0;
ALTER TABLE click_counts_sub1_days ADD COLUMN cost numeric NOT NULL DEFAULT 0;
ALTER TABLE click_counts_geo ADD COLUMN cost numeric NOT NULL DEFAULT 0;
ALTER TABLE click_counts_geo_days ADD COLUMN cost numeric NOT NULL DEFAULT 0;

DROP INDEX click_counts_folded;
CREATE UNIQUE INDEX click_counts_folded ON click_counts (account_id, bucket, campaign_id) INCLUDE (clicks, cost) WHERE folded;
DROP INDEX click_counts_sub1_folded;
CREATE UNIQUE INDEX click_counts_sub1_folded ON click_counts_sub1 (account_id, bucket, campaign_id, sub1)
    INCLUDE (clicks, cost) WHERE folded;
DROP INDEX click_counts_sub1_days_folded;
CREATE UNIQUE INDEX click_counts_sub1_days_folded ON click_counts_sub1_days (account_id, bucket, campaign_id, sub1)
    INCLUDE (clicks, cost) WHERE folded;
DROP INDEX click_counts_geo_folded;
CREATE UNIQUE INDEX click_counts_geo_folded ON click_counts_geo (account_id, bucket, campaign_id, country, device_type)
    INCLUDE (clicks, cost) WHERE folded;
DROP INDEX click_counts_geo_days_folded;
CREATE UNIQUE INDEX click_counts_geo_days_folded ON click_counts_geo_days (account_id, bucket, campaign_id, country, device_type)
    INCLUDE (clicks, cost) WHERE folded;

-- The triggers of 009 and 011, now with cost: a change of cost alone (a campaign
-- cost spread over clicks) appends a row of changes whose clicks are 0.
CREATE OR REPLACE FUNCTION click_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks, cost)
        SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), count(*), coalesce(sum(cost), 0)
        FROM new_rows GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks, cost)
        SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), -count(*), -coalesce(sum(cost), 0)
        FROM old_rows GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks, cost)
        SELECT account_id, bucket, campaign_id, sum(n), sum(c) FROM (
            SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, -1 AS n,
                -coalesce(cost, 0) AS c FROM old_rows
            UNION ALL
            SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), 1, coalesce(cost, 0) FROM new_rows) x
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0 OR sum(c) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION click_counts_more_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A transition table exists only for the events its trigger names: one branch each.
    IF TG_OP = 'INSERT' THEN
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id,
                coalesce(subs->>'sub1', '') AS sub1, country, device_type, 1::bigint AS n, coalesce(cost, 0) AS c FROM new_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks, cost)
            SELECT account_id, bucket, campaign_id, sub1, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(c) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks, cost)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4, 5
        HAVING sum(n) <> 0 OR sum(c) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id,
                coalesce(subs->>'sub1', '') AS sub1, country, device_type, -1::bigint AS n, -coalesce(cost, 0) AS c FROM old_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks, cost)
            SELECT account_id, bucket, campaign_id, sub1, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(c) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks, cost)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4, 5
        HAVING sum(n) <> 0 OR sum(c) <> 0;
    ELSE
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id,
                coalesce(subs->>'sub1', '') AS sub1, country, device_type, -1::bigint AS n, -coalesce(cost, 0) AS c FROM old_rows
            UNION ALL SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0),
                coalesce(subs->>'sub1', ''), country, device_type, 1::bigint, coalesce(cost, 0) FROM new_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks, cost)
            SELECT account_id, bucket, campaign_id, sub1, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 OR sum(c) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks, cost)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n), sum(c) FROM d GROUP BY 1, 2, 3, 4, 5
        HAVING sum(n) <> 0 OR sum(c) <> 0;
    END IF;
    RETURN NULL;
END $$;

-- The report shapes that read the clicks (os, browser) add their cost from the index.
DROP INDEX clicks_report;
CREATE INDEX clicks_report ON clicks (account_id, created_at)
    INCLUDE (campaign_id, country, device_type, os, browser, cost);
