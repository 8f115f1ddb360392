-- Last part of the upgrade to 0.4: put back the saved trigger states, and drop
-- the helper that gave back privileges (prio.upgrade_regrant, 10_changes.sql).
-- the triggers' ENABLE ALWAYS / ENABLE REPLICA / DISABLE, as they were
CREATE FUNCTION @extschema@.upgrade_trigger_states(saved text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT pg_catalog.split_part(x, ' ', 1) AS rel, pg_catalog.split_part(x, ' ', 2) AS tg,
                    pg_catalog.split_part(x, ' ', 3) AS state
               FROM pg_catalog.unnest(pg_catalog.string_to_array(NULLIF(saved, ''), ',')) AS x
    LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                     JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
                    WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                      AND c.relname OPERATOR(pg_catalog.=) r.rel AND t.tgname OPERATOR(pg_catalog.=) r.tg) THEN
            EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I %s TRIGGER %I', r.rel,
                        CASE r.state WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA'
                                     ELSE 'DISABLE' END, r.tg);
        END IF;
    END LOOP;
END
$$;
SELECT @extschema@.upgrade_trigger_states(pg_catalog.current_setting('prio.upgrade_trigger_states'));
DROP FUNCTION @extschema@.upgrade_trigger_states(text);
DROP FUNCTION @extschema@.upgrade_regrant(text, aclitem[]);
