-- 0.4 -> 0.5, a column added to a tracked table after prio.track() is
-- none its compiled SQL names (sql/install/85_track.sql): 0.4 took any
-- column whose name appears in it, so a column "id" added later was named
-- by customer_id and stopped the table.  The signatures stored by 0.4 stay
-- right: the new rule gives the same for a table as it was checked.
DROP FUNCTION @extschema@._track_signature(regclass, jsonb);
-- (created again from sql/install/85_track_signature.sql)
