-- tools/replica_writes.sql -- the writes tools/standby.sh and tools/logical.sh
-- replicate (psql -f): backfilled and recent activities, activity updates and
-- deletes, BANT updates of the customers of tools/replica_seed.sql.
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 400, (ARRAY['purchase','reply','meeting','contract','rejected'])[1 + g % 5],
       now() - (g % 90) * interval '1 day', CASE WHEN g % 5 = 0 THEN g ELSE 0 END
  FROM generate_series(1, 1500) g;
UPDATE prio.activities SET at = at - interval '3 days' WHERE activity_id % 17 = 0;
DELETE FROM prio.activities WHERE activity_id % 23 = 0;
UPDATE prio.customers SET authority = true, timeline = true WHERE customer_id % 7 = 0;
