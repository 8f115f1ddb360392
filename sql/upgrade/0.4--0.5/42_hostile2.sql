-- 0.4 -> 0.5, tracked tables read alike in every session: the compiled SQL
-- of tracked tables runs with bytea_output = hex as well (a mapping such as
-- "b::text" of a bytea column, or a bytea key's text in customer_key, gave
-- what the writer's session set).  The other functions that set it are
-- created from their install parts in 0.5; this one is 0.4's.
ALTER FUNCTION @extschema@.unmapped_kinds_of_sources() SET bytea_output = 'hex';
