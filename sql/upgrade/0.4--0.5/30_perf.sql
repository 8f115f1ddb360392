-- prio.followup's two orders as indexes (sql/install/40_tables.sql): one
-- rep's list, by (owner, priority DESC, next_due_at, customer_id), under the
-- name the index on owner had (README: CLUSTER ... USING it), and the team's.
DROP INDEX @extschema@.customer_state_owner_idx;
CREATE INDEX customer_state_owner_idx ON @extschema@.customer_state
    (owner, priority DESC, next_due_at, customer_id);
CREATE INDEX customer_state_priority_idx ON @extschema@.customer_state
    (priority DESC, next_due_at, customer_id);
