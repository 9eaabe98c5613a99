-- A council's cases of one status, newest first (the back office's and the console's lists,
-- FixMyStreet's): at national size a busy council has hundreds of thousands of fixed cases, and
-- finding the newest fifty meant sorting them all. With the creation time after the status, the
-- index gives them in order; its prefix still answers the counts per status from the index alone,
-- so it replaces the (council_id, status) index rather than adding to intake's work.
CREATE INDEX IF NOT EXISTS reports_council_status_created ON reports (council_id, status, created_at DESC, id DESC);
DROP INDEX IF EXISTS reports_council_status;
