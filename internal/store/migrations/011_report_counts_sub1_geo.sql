-- Report counts for the shapes that still read the rows (issue 28): by sub1, and
-- by country x device type. Two more families of counts, kept like migration
-- 009's (same 15-minute buckets, triggers that only append rows of changes, folds
-- that merge them), each in tables of its own so the common shapes of 009 keep
-- reading their few rows: a sub1 can take many values, and multiplying 009's keys
-- by it would slow every report.
--
-- Each family keeps, besides its own dimensions, what a report needs to split and
-- total a group: campaign (and so the click's traffic source), for conversions
-- their traffic source, status and account currency. A report that groups or
-- filters by sub1 (or by country and device type) with only those reads the
-- family; any other dimension with it (event, integration, os, browser, another
-- sub) still reads the rows.
--
-- A sub1 or a country x device pair is rare within a quarter hour, so quarter-hour
-- counts of these keys are almost as many as the rows (measured: 315,000 sub1 counts
-- for 334,000 clicks over 30 days). Each family therefore also keeps UTC days
-- (<table>_days): a report reads whole UTC days inside its range from them, and
-- only the quarter hours at its two ends (a local midnight is a quarter hour, not
-- a UTC midnight) and the rows of changes not folded yet from the quarter-hour
-- tables. The fold keeps both: it adds each folded row of changes to its quarter
-- hour and to its day, in one transaction, so a day row is always the sum of the
-- day's folded quarter-hour rows. A report grouped by day reads quarter hours only.

CREATE TABLE click_counts_sub1 (
    account_id   text NOT NULL,
    bucket       timestamptz NOT NULL,
    campaign_id  bigint NOT NULL,          -- 0: no campaign
    sub1         text NOT NULL,            -- '': none
    clicks       bigint NOT NULL,
    folded       boolean NOT NULL DEFAULT false,
    renamed      boolean NOT NULL DEFAULT false  -- a folded row whose key erasure changed
);
CREATE UNIQUE INDEX click_counts_sub1_folded ON click_counts_sub1 (account_id, bucket, campaign_id, sub1) INCLUDE (clicks) WHERE folded;
CREATE INDEX click_counts_sub1_fresh ON click_counts_sub1 (account_id, bucket) WHERE NOT folded;

CREATE TABLE conversion_counts_sub1 (
    account_id        text NOT NULL,
    bucket            timestamptz NOT NULL, -- of converted_at
    campaign_id       bigint NOT NULL,      -- 0: none
    traffic_source    text NOT NULL,
    status            text NOT NULL,
    account_currency  text NOT NULL,        -- '': not set
    sub1              text NOT NULL,
    conversions       bigint NOT NULL,
    converted         bigint NOT NULL,
    value_account     numeric NOT NULL,
    folded            boolean NOT NULL DEFAULT false,
    renamed           boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX conversion_counts_sub1_folded ON conversion_counts_sub1
    (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1)
    INCLUDE (conversions, converted, value_account) WHERE folded;
CREATE INDEX conversion_counts_sub1_fresh ON conversion_counts_sub1 (account_id, bucket) WHERE NOT folded;

CREATE TABLE click_counts_geo (
    account_id   text NOT NULL,
    bucket       timestamptz NOT NULL,
    campaign_id  bigint NOT NULL,
    country      text NOT NULL,
    device_type  text NOT NULL,
    clicks       bigint NOT NULL,
    folded       boolean NOT NULL DEFAULT false,
    renamed      boolean NOT NULL DEFAULT false  -- a folded row whose key erasure changed
);
CREATE UNIQUE INDEX click_counts_geo_folded ON click_counts_geo (account_id, bucket, campaign_id, country, device_type)
    INCLUDE (clicks) WHERE folded;
CREATE INDEX click_counts_geo_fresh ON click_counts_geo (account_id, bucket) WHERE NOT folded;

CREATE TABLE conversion_counts_geo (
    account_id        text NOT NULL,
    bucket            timestamptz NOT NULL,
    campaign_id       bigint NOT NULL,
    traffic_source    text NOT NULL,
    status            text NOT NULL,
    account_currency  text NOT NULL,
    country           text NOT NULL,
    device_type       text NOT NULL,
    conversions       bigint NOT NULL,
    converted         bigint NOT NULL,
    value_account     numeric NOT NULL,
    folded            boolean NOT NULL DEFAULT false,
    renamed           boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX conversion_counts_geo_folded ON conversion_counts_geo
    (account_id, bucket, campaign_id, traffic_source, status, account_currency, country, device_type)
    INCLUDE (conversions, converted, value_account) WHERE folded;
CREATE INDEX conversion_counts_geo_fresh ON conversion_counts_geo (account_id, bucket) WHERE NOT folded;

-- The same counts per UTC day (bucket: the day's UTC midnight), kept by the fold.
CREATE TABLE click_counts_sub1_days (LIKE click_counts_sub1 INCLUDING DEFAULTS);
ALTER TABLE click_counts_sub1_days DROP COLUMN renamed;
CREATE UNIQUE INDEX click_counts_sub1_days_folded ON click_counts_sub1_days (account_id, bucket, campaign_id, sub1)
    INCLUDE (clicks) WHERE folded;
CREATE INDEX click_counts_sub1_days_account ON click_counts_sub1_days (account_id, bucket);
CREATE TABLE conversion_counts_sub1_days (LIKE conversion_counts_sub1 INCLUDING DEFAULTS);
ALTER TABLE conversion_counts_sub1_days DROP COLUMN renamed;
CREATE UNIQUE INDEX conversion_counts_sub1_days_folded ON conversion_counts_sub1_days
    (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1)
    INCLUDE (conversions, converted, value_account) WHERE folded;
CREATE INDEX conversion_counts_sub1_days_account ON conversion_counts_sub1_days (account_id, bucket);
CREATE TABLE click_counts_geo_days (LIKE click_counts_geo INCLUDING DEFAULTS);
ALTER TABLE click_counts_geo_days DROP COLUMN renamed;
CREATE UNIQUE INDEX click_counts_geo_days_folded ON click_counts_geo_days (account_id, bucket, campaign_id, country, device_type)
    INCLUDE (clicks) WHERE folded;
CREATE INDEX click_counts_geo_days_account ON click_counts_geo_days (account_id, bucket);
CREATE TABLE conversion_counts_geo_days (LIKE conversion_counts_geo INCLUDING DEFAULTS);
ALTER TABLE conversion_counts_geo_days DROP COLUMN renamed;
CREATE UNIQUE INDEX conversion_counts_geo_days_folded ON conversion_counts_geo_days
    (account_id, bucket, campaign_id, traffic_source, status, account_currency, country, device_type)
    INCLUDE (conversions, converted, value_account) WHERE folded;
CREATE INDEX conversion_counts_geo_days_account ON conversion_counts_geo_days (account_id, bucket);

-- One function per source table appends to both families in one statement: rows
-- going away count -1, rows coming +1, and keys whose changes cancel out append
-- nothing (most updates: a conversion's value converted, its postback erased).
CREATE FUNCTION click_counts_more_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, coalesce(subs->>'sub1', '') AS sub1, country, device_type, 1::bigint AS n FROM new_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks)
            SELECT account_id, bucket, campaign_id, sub1, sum(n) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, coalesce(subs->>'sub1', '') AS sub1, country, device_type, -1::bigint AS n FROM old_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks)
            SELECT account_id, bucket, campaign_id, sub1, sum(n) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;
    ELSE
        WITH d AS (SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, coalesce(subs->>'sub1', '') AS sub1, country, device_type, -1::bigint AS n FROM old_rows
            UNION ALL SELECT account_id, report_bucket(created_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, coalesce(subs->>'sub1', '') AS sub1, country, device_type, 1::bigint AS n FROM new_rows),
        s AS (INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks)
            SELECT account_id, bucket, campaign_id, sub1, sum(n) FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
        INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks)
        SELECT account_id, bucket, campaign_id, country, device_type, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER click_counts_more_insert AFTER INSERT ON clicks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_more_change();
CREATE TRIGGER click_counts_more_delete AFTER DELETE ON clicks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_more_change();
CREATE TRIGGER click_counts_more_update AFTER UPDATE ON clicks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION click_counts_more_change();

CREATE FUNCTION conversion_counts_more_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH d AS (SELECT account_id, report_bucket(converted_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, traffic_source, status,
                coalesce(account_currency::text, '') AS account_currency, coalesce(subs->>'sub1', '') AS sub1, country, device_type,
                1::bigint AS n, (value_account IS NOT NULL)::int::bigint AS c, coalesce(value_account, 0) AS v FROM new_rows),
        s AS (INSERT INTO conversion_counts_sub1 (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1,
                conversions, converted, value_account)
            SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1, sum(n), sum(c), sum(v)
            FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0)
        INSERT INTO conversion_counts_geo (account_id, bucket, campaign_id, traffic_source, status, account_currency, country,
            device_type, conversions, converted, value_account)
        SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, country, device_type, sum(n), sum(c), sum(v)
        FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        WITH d AS (SELECT account_id, report_bucket(converted_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, traffic_source, status,
                coalesce(account_currency::text, '') AS account_currency, coalesce(subs->>'sub1', '') AS sub1, country, device_type,
                -1::bigint AS n, -(value_account IS NOT NULL)::int::bigint AS c, -coalesce(value_account, 0) AS v FROM old_rows),
        s AS (INSERT INTO conversion_counts_sub1 (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1,
                conversions, converted, value_account)
            SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1, sum(n), sum(c), sum(v)
            FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0)
        INSERT INTO conversion_counts_geo (account_id, bucket, campaign_id, traffic_source, status, account_currency, country,
            device_type, conversions, converted, value_account)
        SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, country, device_type, sum(n), sum(c), sum(v)
        FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0;
    ELSE
        WITH d AS (SELECT account_id, report_bucket(converted_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, traffic_source, status,
                coalesce(account_currency::text, '') AS account_currency, coalesce(subs->>'sub1', '') AS sub1, country, device_type,
                -1::bigint AS n, -(value_account IS NOT NULL)::int::bigint AS c, -coalesce(value_account, 0) AS v FROM old_rows
            UNION ALL SELECT account_id, report_bucket(converted_at) AS bucket, coalesce(campaign_id, 0) AS campaign_id, traffic_source, status,
                coalesce(account_currency::text, '') AS account_currency, coalesce(subs->>'sub1', '') AS sub1, country, device_type,
                1::bigint AS n, (value_account IS NOT NULL)::int::bigint AS c, coalesce(value_account, 0) AS v FROM new_rows),
        s AS (INSERT INTO conversion_counts_sub1 (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1,
                conversions, converted, value_account)
            SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1, sum(n), sum(c), sum(v)
            FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0)
        INSERT INTO conversion_counts_geo (account_id, bucket, campaign_id, traffic_source, status, account_currency, country,
            device_type, conversions, converted, value_account)
        SELECT account_id, bucket, campaign_id, traffic_source, status, account_currency, country, device_type, sum(n), sum(c), sum(v)
        FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(v) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER conversion_counts_more_insert AFTER INSERT ON conversions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_more_change();
CREATE TRIGGER conversion_counts_more_delete AFTER DELETE ON conversions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_more_change();
CREATE TRIGGER conversion_counts_more_update AFTER UPDATE ON conversions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversion_counts_more_change();

-- Erasure (store.Erase) blanks every text column of an account's tables that
-- holds the person's value, these counts' keys too (a sub1 can carry an email).
-- A folded row whose key changes is unfolded, so it cannot collide with the folded
-- row of its new key, and the next fold merges the two. A renamed quarter-hour row
-- is marked: its amount is in its day already (renamed there too), so the fold
-- does not add it to the day again, and a report reading that day skips it.
CREATE FUNCTION report_counts_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.folded := false;
    NEW.renamed := true;
    RETURN NEW;
END $$;

CREATE FUNCTION report_day_counts_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.folded := false;
    RETURN NEW;
END $$;

CREATE TRIGGER click_counts_sub1_key BEFORE UPDATE ON click_counts_sub1 FOR EACH ROW
    WHEN (OLD.folded AND NEW.sub1 IS DISTINCT FROM OLD.sub1)
    EXECUTE FUNCTION report_counts_key_changed();
CREATE TRIGGER click_counts_sub1_days_key BEFORE UPDATE ON click_counts_sub1_days FOR EACH ROW
    WHEN (OLD.folded AND NEW.sub1 IS DISTINCT FROM OLD.sub1)
    EXECUTE FUNCTION report_day_counts_key_changed();
CREATE TRIGGER click_counts_geo_key BEFORE UPDATE ON click_counts_geo FOR EACH ROW
    WHEN (OLD.folded AND (NEW.country, NEW.device_type) IS DISTINCT FROM (OLD.country, OLD.device_type))
    EXECUTE FUNCTION report_counts_key_changed();
CREATE TRIGGER click_counts_geo_days_key BEFORE UPDATE ON click_counts_geo_days FOR EACH ROW
    WHEN (OLD.folded AND (NEW.country, NEW.device_type) IS DISTINCT FROM (OLD.country, OLD.device_type))
    EXECUTE FUNCTION report_day_counts_key_changed();
CREATE TRIGGER conversion_counts_sub1_key BEFORE UPDATE ON conversion_counts_sub1 FOR EACH ROW
    WHEN (OLD.folded AND (NEW.traffic_source, NEW.status, NEW.account_currency, NEW.sub1)
        IS DISTINCT FROM (OLD.traffic_source, OLD.status, OLD.account_currency, OLD.sub1))
    EXECUTE FUNCTION report_counts_key_changed();
CREATE TRIGGER conversion_counts_sub1_days_key BEFORE UPDATE ON conversion_counts_sub1_days FOR EACH ROW
    WHEN (OLD.folded AND (NEW.traffic_source, NEW.status, NEW.account_currency, NEW.sub1)
        IS DISTINCT FROM (OLD.traffic_source, OLD.status, OLD.account_currency, OLD.sub1))
    EXECUTE FUNCTION report_day_counts_key_changed();
CREATE TRIGGER conversion_counts_geo_key BEFORE UPDATE ON conversion_counts_geo FOR EACH ROW
    WHEN (OLD.folded AND (NEW.traffic_source, NEW.status, NEW.account_currency, NEW.country, NEW.device_type)
        IS DISTINCT FROM (OLD.traffic_source, OLD.status, OLD.account_currency, OLD.country, OLD.device_type))
    EXECUTE FUNCTION report_counts_key_changed();
CREATE TRIGGER conversion_counts_geo_days_key BEFORE UPDATE ON conversion_counts_geo_days FOR EACH ROW
    WHEN (OLD.folded AND (NEW.traffic_source, NEW.status, NEW.account_currency, NEW.country, NEW.device_type)
        IS DISTINCT FROM (OLD.traffic_source, OLD.status, OLD.account_currency, OLD.country, OLD.device_type))
    EXECUTE FUNCTION report_day_counts_key_changed();

-- What is already there, counted once.
INSERT INTO click_counts_sub1 (account_id, bucket, campaign_id, sub1, clicks, folded)
SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), coalesce(subs->>'sub1', ''), count(*), true
FROM clicks GROUP BY 1, 2, 3, 4;
INSERT INTO click_counts_geo (account_id, bucket, campaign_id, country, device_type, clicks, folded)
SELECT account_id, report_bucket(created_at), coalesce(campaign_id, 0), country, device_type, count(*), true
FROM clicks GROUP BY 1, 2, 3, 4, 5;
INSERT INTO conversion_counts_sub1 (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1,
    conversions, converted, value_account, folded)
SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, status,
    coalesce(account_currency::text, ''), coalesce(subs->>'sub1', ''), count(*), count(value_account), coalesce(sum(value_account), 0), true
FROM conversions GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO conversion_counts_geo (account_id, bucket, campaign_id, traffic_source, status, account_currency, country,
    device_type, conversions, converted, value_account, folded)
SELECT account_id, report_bucket(converted_at), coalesce(campaign_id, 0), traffic_source, status,
    coalesce(account_currency::text, ''), country, device_type, count(*), count(value_account), coalesce(sum(value_account), 0), true
FROM conversions GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- Their days.
INSERT INTO click_counts_sub1_days (account_id, bucket, campaign_id, sub1, clicks, folded)
SELECT account_id, date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00'), campaign_id, sub1, sum(clicks), true
FROM click_counts_sub1 GROUP BY 1, 2, 3, 4;
INSERT INTO click_counts_geo_days (account_id, bucket, campaign_id, country, device_type, clicks, folded)
SELECT account_id, date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00'), campaign_id, country, device_type, sum(clicks), true
FROM click_counts_geo GROUP BY 1, 2, 3, 4, 5;
INSERT INTO conversion_counts_sub1_days (account_id, bucket, campaign_id, traffic_source, status, account_currency, sub1,
    conversions, converted, value_account, folded)
SELECT account_id, date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00'), campaign_id, traffic_source, status,
    account_currency, sub1, sum(conversions), sum(converted), sum(value_account), true
FROM conversion_counts_sub1 GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO conversion_counts_geo_days (account_id, bucket, campaign_id, traffic_source, status, account_currency, country,
    device_type, conversions, converted, value_account, folded)
SELECT account_id, date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00'), campaign_id, traffic_source, status,
    account_currency, country, device_type, sum(conversions), sum(converted), sum(value_account), true
FROM conversion_counts_geo GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
