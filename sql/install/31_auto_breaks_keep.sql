------------------------------------------------------------------------
-- prio.auto_breaks keeps its one row, as prio.settings does: prio reads
-- them joined (prio.rule_config), and without the row every writer failed.
-- Its own part, so the update to 0.5 creates it from here too.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.auto_breaks_keep_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'prio.auto_breaks must keep its one row'
        USING ERRCODE = '23514', HINT = 'prio.refresh() computes them again; fixed breaks go in prio.settings (r_breaks, f_breaks, m_breaks).';
END
$$;
COMMENT ON FUNCTION @extschema@.auto_breaks_keep_row() IS
'Trigger: refuses DELETE and TRUNCATE of prio.auto_breaks (prio.rule_config reads its one row with the settings'').';
CREATE TRIGGER auto_breaks_keep_row
    BEFORE DELETE OR TRUNCATE ON @extschema@.auto_breaks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.auto_breaks_keep_row();
