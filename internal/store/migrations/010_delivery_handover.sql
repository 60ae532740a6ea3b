-- A delivery the API makes or re-drives (a backfill, a re-drive) reaches its
-- workflow by a signal sent after the row is written; an API that stops in
-- between leaves a pending delivery no workflow knows of. awaiting_workflow_since
-- is set when the API writes such a row and cleared when an attempt starts (or the
-- delivery ends); the dispatcher's reconciler signals again a delivery still
-- waiting after CONVRELAY_RECONCILE_AFTER. NULL for every delivery so far, so
-- adding it rewrites nothing.
ALTER TABLE deliveries ADD COLUMN awaiting_workflow_since timestamptz;

CREATE INDEX deliveries_awaiting_workflow ON deliveries (awaiting_workflow_since)
	WHERE awaiting_workflow_since IS NOT NULL;
