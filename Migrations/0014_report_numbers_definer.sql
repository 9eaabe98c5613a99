-- The service may run as a role that does not own the schema (migrations as the owner, requests
-- as an ordinary role with rights on the tables, as a deployment should). The first report of a
-- council and prefix creates that pair's sequence in report_numbers, which such a role may not
-- do, and it may not use a sequence another role made. The function that hands out numbers
-- therefore runs as its owner, with a fixed search path so that a caller's objects cannot stand
-- in for the ones it names.
ALTER FUNCTION next_report_number(uuid, text) SECURITY DEFINER SET search_path = pg_catalog, public;
