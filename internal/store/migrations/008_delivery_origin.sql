-- Why a delivery was made: 'live' (a status change of its conversion, what
-- every delivery so far was) or 'backfill' (POST .../destinations/{id}/backfill
-- re-sent an approved conversion to a destination added after it). The
-- delivery log shows it. A constant default makes this a catalog-only change;
-- the store is the column's one writer, so no CHECK scans the table.
ALTER TABLE deliveries ADD COLUMN origin text NOT NULL DEFAULT 'live';

-- A conversion's history by conversion: the backfill asks, per conversion,
-- whether the network disabled its postbacks (a postback of it recorded as
-- suppressed); the history view and deliveredSoFar read it the same way.
CREATE INDEX conversion_events_conversion ON conversion_events (conversion_id);
