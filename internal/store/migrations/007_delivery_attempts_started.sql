-- Attempts counted when they start, before the request goes out: an attempt cut
-- off by a worker that died (its first attempt runs inside a workflow task, where
-- Temporal keeps no attempt number) still shows in the delivery log. Rows made
-- before this count from their recorded attempts (see StartAttempt).
ALTER TABLE deliveries ADD COLUMN attempts_started integer NOT NULL DEFAULT 0;
