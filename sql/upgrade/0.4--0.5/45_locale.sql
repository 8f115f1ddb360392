-- 0.4 -> 0.5, tracked tables read alike in every session: the compiled SQL
-- runs with lc_monetary, lc_numeric and lc_time = C as well (a mapping
-- "to_char(d, 'TMMonth')", "m::numeric" of a money column or a to_number()
-- gave what the writer's session set).  As 42_hostile2.sql: the other
-- functions that set them are created from their install parts in 0.5.
ALTER FUNCTION @extschema@.unmapped_kinds_of_sources()
    SET lc_monetary = 'C' SET lc_numeric = 'C' SET lc_time = 'C';
