-- Accepted means applied (issue 11).

-- Money columns hold every amount the postback parser accepts (|value| < 10^15,
-- six decimals kept), so a value answered 200 can always be recorded.
ALTER TABLE conversions ALTER COLUMN value TYPE numeric(24,6);
ALTER TABLE conversion_events ALTER COLUMN value TYPE numeric(24,6);
ALTER TABLE campaigns ALTER COLUMN default_payout TYPE numeric(24,6);

-- A row whose hand-over failed for a passing reason waits until dispatch_after
-- (backoff) without holding other transactions back; handed_over_at is when it
-- last went to Temporal (the reconciler hands over again rows not applied long
-- after). failed_reason is the machine-readable class of a 'failed' outcome.
ALTER TABLE postback_log
    ADD COLUMN dispatch_after    timestamptz,
    ADD COLUMN dispatch_attempts int NOT NULL DEFAULT 0,
    ADD COLUMN failed_reason     text NOT NULL DEFAULT '';

-- Rows accepted and not yet handed over: the dispatcher's work list, probed once
-- per account for a fair hand-over.
DROP INDEX IF EXISTS postback_log_undispatched;
CREATE INDEX postback_log_waiting ON postback_log (account_id, id)
    WHERE outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NULL;
-- Rows handed over and not yet applied: the dispatcher's window and the
-- reconciler's list.
CREATE INDEX postback_log_in_flight ON postback_log (dispatched_at)
    WHERE outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NOT NULL;
CREATE INDEX postback_log_failed ON postback_log (account_id, id DESC) WHERE outcome = 'failed';

-- Installation-wide values generated once (the key that hashes personal data in
-- workflow ids).
CREATE TABLE installation (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
