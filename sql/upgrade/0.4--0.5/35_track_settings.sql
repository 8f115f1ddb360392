-- prio.source_changed() sets the settings its compiled SQL needs itself,
-- before it runs any of it (0.4 set them on every call by SET clauses)
ALTER FUNCTION @extschema@.source_changed() RESET ALL;
ALTER FUNCTION @extschema@.source_changed() SET search_path = pg_catalog, pg_temp;
