-- Consent and click ids that reach the ad platforms (issue 23).
--
-- Every column added here has a constant default, so adding it rewrites no
-- table; the CHECKs are added NOT VALID (every existing row holds the default,
-- which passes them), so no table is scanned under its lock either. New and
-- updated rows are checked.

-- The consent a conversion's postbacks carried ('' no signal, 'granted',
-- 'denied'), Google consent-mode names. A later postback without a signal
-- keeps the earlier one. '' for every conversion so far: nothing changes.
ALTER TABLE conversions
    ADD COLUMN consent_ad_user_data       text NOT NULL DEFAULT '',
    ADD COLUMN consent_ad_personalization text NOT NULL DEFAULT '',
    ADD CONSTRAINT conversions_consent_ad_user_data_check
        CHECK (consent_ad_user_data IN ('', 'granted', 'denied')) NOT VALID,
    ADD CONSTRAINT conversions_consent_ad_personalization_check
        CHECK (consent_ad_personalization IN ('', 'granted', 'denied')) NOT VALID;

-- The visitor's Google Analytics client id (from the _ga cookie or a
-- ga_client_id/client_id parameter, "x.y") and TikTok's _ttp cookie, as the
-- click redirect or the clicks API received them.
ALTER TABLE clicks
    ADD COLUMN ga_client_id text NOT NULL DEFAULT '',
    ADD COLUMN ttp          text NOT NULL DEFAULT '';

-- What an account does with a conversion from an EEA country that carried no
-- consent signal: 'send' (no consent fields: what every account did so far),
-- 'denied' (sent as denied), 'skip' (not sent to ad platforms; a skipped
-- delivery row says why; webhooks and traffic-source postbacks still receive).
ALTER TABLE accounts
    ADD COLUMN eea_without_consent text NOT NULL DEFAULT 'send'
        CHECK (eea_without_consent IN ('send', 'denied', 'skip'));
