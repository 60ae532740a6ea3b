-- fire_on becomes a set of life events (first, approved, value_change, rejected),
-- stored as a comma-separated list in that order (destinations.FireOn). Existing
-- destinations keep what they did: 'first' and 'approved' already name their one
-- event; webhooks were also told of a rejection (a reversal), so 'rejected' is
-- added to theirs. Any other value behaved as 'first'.
UPDATE destinations SET fire_on = 'first' WHERE fire_on NOT IN ('first', 'approved');
UPDATE destinations SET fire_on = fire_on || ',rejected' WHERE type = 'webhook';
ALTER TABLE destinations ADD CONSTRAINT destinations_fire_on_set CHECK (
    fire_on ~ '^(first|approved|value_change|rejected)(,(first|approved|value_change|rejected))*$');
