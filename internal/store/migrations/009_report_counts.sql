-- Report counts: clicks and conversions counted per account, 15-minute bucket and
-- the dimensions a report most often groups by (campaign, traffic source,
-- integration, event, status, day), kept by triggers, so a 30-day report reads tens
-- of thousands of counts instead of millions of rows (README, report latency).
--
-- A bucket is 15 minutes of UTC. Every time zone in use since 1972 is offset from
-- UTC by a whole number of quarter hours, so a local day is a whole number of
-- buckets: a report over local days adds whole buckets and gets what the rows give.
--
-- The triggers only append rows of changes (one per statement and key; rows
-- deleted or changed away count negatively): a click never waits for another
-- click's lock. A report first folds its account's appended rows into one folded
-- row per key; reads add folded and not yet folded rows alike, so a fold skipped
-- or racing a write changes nothing but speed.

CREATE FUNCTION report_bucket(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT date_bin('15 minutes', t, timestamptz '2000-01-01 00:00:00+00') $$;

CREATE TABLE click_counts (
    account_id   text NOT NULL,
    bucket       timestamptz NOT NULL,
    campaign_id  bigint NOT NULL,          -- 0: no campaign
    clicks       bigint NOT NULL,
    folded       boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX click_counts_folded ON click_counts (account_id, bucket, campaign_id) INCLUDE (clicks) WHERE folded;
CREATE INDEX click_counts_fresh ON click_counts (account_id, bucket) WHERE NOT folded;

CREATE TABLE conversion_counts (
    account_id        text NOT NULL,
    bucket            timestamptz NOT NULL, -- of converted_at
    campaign_id       bigint NOT NULL,      -- 0: none
    traffic_source    text NOT NULL,
    integration       text NOT NULL,
    event_name        text NOT NULL,
    status            text NOT NULL,
    account_currency  text NOT NULL,        -- '': not set
    conversions       bigint NOT NULL,      -- rows
    converted         bigint NOT NULL,      -- rows with a value_account
    value_account     numeric NOT NULL,     -- the sum of those values
    folded            boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX conversion_counts_folded ON conversion_counts
    (account_id, bucket, campaign_id, traffic_source, integration, event_name, status, account_currency)
    INCLUDE (conversions, converted, value_account) WHERE folded;
CREATE INDEX conversion_counts_fresh ON conversion_counts (account_id, bucket) WHERE NOT folded;

-- A trigger with transition tables takes one event, hence three triggers per
-- table over one function that looks at TG_OP.
CREATE FUNCTION click_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks)
        SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), count(*)
        FROM new_rows GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks)
        SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), -count(*)
        FROM old_rows GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO click_counts (account_id, bucket, campaign_id, clicks)
        SELECT account_id, bucket, campaign_id, sum(n) FROM (
            SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, -1 AS n FROM old_rows
            UNION ALL
            SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), 1 FROM new_rows) x
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER click_counts_insert AFTER INSERT ON clicks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_change();
CREATE TRIGGER click_counts_delete AFTER DELETE ON clicks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_change();
CREATE TRIGGER click_counts_update AFTER UPDATE ON clicks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_change();

CREATE FUNCTION conversion_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO conversion_counts (account_id, bucket, campaign_id, traffic_source, integration, event_name, status,
            account_currency, conversions, converted, value_account)
        SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, integration, event_name, status,
            coalesce(account_currency::text, ''), count(*), count(value_account), coalesce(sum(value_account), 0)
        FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO conversion_counts (account_id, bucket, campaign_id, traffic_source, integration, event_name, status,
            account_currency, conversions, converted, value_account)
        SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, integration, event_name, status,
            coalesce(account_currency::text, ''), -count(*), -count(value_account), -coalesce(sum(value_account), 0)
        FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    ELSE
        -- Most updates change no counted column (dimensions copied from the click,
        -- erasure): their old and new rows cancel out and nothing is appended.
        INSERT INTO conversion_counts (account_id, bucket, campaign_id, traffic_source, integration, event_name, status,
            account_currency, conversions, converted, value_account)
        SELECT account_id, bucket, campaign_id, traffic_source, integration, event_name, status, account_currency,
            sum(n), sum(c), sum(v)
        FROM (
            SELECT account_id, report_bucket(converted_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, traffic_source,
                integration, event_name, status, coalesce(account_currency::text, '') AS account_currency,
                -1 AS n, -(value_account IS NOT NULL)::int AS c, -coalesce(value_account, 0) AS v
            FROM old_rows
            UNION ALL
            SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, integration, event_name,
                status, coalesce(account_currency::text, ''), 1, (value_account IS NOT NULL)::int, coalesce(value_account, 0)
            FROM new_rows) x
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER conversion_counts_insert AFTER INSERT ON conversions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_change();
CREATE TRIGGER conversion_counts_delete AFTER DELETE ON conversions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_change();
CREATE TRIGGER conversion_counts_update AFTER UPDATE ON conversions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_change();

-- What is already there, counted once (the triggers above hold the tables'
-- writers off until this migration commits).
INSERT INTO click_counts (account_id, bucket, campaign_id, clicks, folded)
SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), count(*), true FROM clicks GROUP BY 1, 2, 3;
INSERT INTO conversion_counts (account_id, bucket, campaign_id, traffic_source, integration, event_name, status,
    account_currency, conversions, converted, value_account, folded)
SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, integration, event_name, status,
    coalesce(account_currency::text, ''), count(*), count(value_account), coalesce(sum(value_account), 0), true
FROM conversions GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
