-- The visitors table (001) was written on every click and read by nothing: a
-- visitor's session is found from its clicks (clicks_visitor). Retention and
-- erasure no longer touch it; a retention run recorded before this change still
-- schedules its step, which now deletes nothing (store.RetainVisitors).
DROP TABLE IF EXISTS visitors;
