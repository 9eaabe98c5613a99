-- The console's case list at a council's full size (100,000 cases and more): its text filter
-- ("text in the description or reference", any case) and its counts per status.
--
-- Text: a trigram index on the reference and description joined by a newline. The filter can
-- never contain a newline (control characters are refused), so a match cannot straddle the two
-- and the index serves exactly `reference ILIKE '%q%' OR description ILIKE '%q%'`. GIN's pending
-- list keeps each intake insert cheap; texts under three characters cannot use it and scan.
-- Counts: (council_id, status) answers them from the index alone.
--
-- Both are built inside the migration's transaction, which blocks writes to `reports` while they
-- build. On a large existing table build them first without blocking, with the same names
-- (`CREATE INDEX CONCURRENTLY reports_text_search ...`); IF NOT EXISTS then passes over them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS reports_text_search ON reports USING gin ((reference || E'\n' || description) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS reports_council_status ON reports (council_id, status);
