-- The W3C traceparent of the intake request that accepted a postback (empty when
-- tracing is off), so its hand-over and workflow join the same trace.
ALTER TABLE postback_log ADD COLUMN trace_parent text NOT NULL DEFAULT '';
