-- prio.followup's two orders as indexes (sql/install/40_tables.sql): one
-- rep's list, by (owner, priority DESC, next_due_at, customer_id), under the
-- name the index on owner had (README: CLUSTER ... USING it), and the team's.
-- Created by 99_end.sql after everyone is folded again: built once from the
-- new rows rather than maintained through every row's update.
DROP INDEX @extschema@.customer_state_owner_idx;
