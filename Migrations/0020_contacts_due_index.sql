-- Housekeeping finds reports whose contact details are due for erasure (closed long enough ago,
-- not yet erased) through this index, which holds only reports not yet erased: without it each
-- pass read the whole table, seconds at national size, however little was due.
CREATE INDEX IF NOT EXISTS reports_contacts_due ON reports (closed_at) WHERE contact_erased_at IS NULL;
