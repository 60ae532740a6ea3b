-- The W3C traceparent of the intake request that accepted a postback (empty when
-- tracing is off), so its hand-over and workflow join the same trace.
ALTER TABLE postback_log ADD COLUMN trace_parent text NOT NULL DEFAULT '';

-- A transaction's waiting postbacks, in order: a later one is never handed over
-- while an earlier one of the same transaction waits out a backoff.
CREATE INDEX postback_log_waiting_tx ON postback_log (workflow_id, id)
    WHERE outcome = 'accepted' AND processed_at IS NULL AND dispatched_at IS NULL;

-- The value each delivery carries (its revision of the conversion): a delivery
-- sent late still sends the value of the change that caused it. NULL for
-- deliveries made before life events (they sent the conversion's value).
ALTER TABLE deliveries ADD COLUMN value numeric(24,6);
