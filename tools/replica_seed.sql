-- tools/replica_seed.sql -- prio and 400 customers with 2,000 activities, the
-- starting data of tools/standby.sh and tools/logical.sh (psql -f).
CREATE EXTENSION prio;
INSERT INTO prio.customers (customer_id, name, owner, budget, need)
SELECT g, 'Customer ' || g, 'rep' || (g % 5), g % 3 = 0, g % 2 = 0 FROM generate_series(1, 400) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 400, (ARRAY['purchase','inquiry','reply','visit','quote','email_open'])[1 + g % 6],
       now() - (g % 200) * interval '1 day', CASE WHEN g % 6 = 0 THEN 10 + g % 900 ELSE 0 END
  FROM generate_series(1, 2000) g;
