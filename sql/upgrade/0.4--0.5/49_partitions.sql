-- 0.4 -> 0.5, prio's triggers go on each partition of a partitioned
-- customers or activities table too (rows written straight into a
-- partition were not seen): prio._track_triggers() created again from
-- sql/install/85_track_triggers.sql, then called for the tables tracked
-- under 0.4 (72_partitions.sql).
DROP FUNCTION @extschema@._track_triggers(regclass, integer);
