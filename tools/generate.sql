-- Deterministic, realistic CRM data for prio (make demo, make bench; psql variables):
--   :customers  number of customers            (default 2000)
--   :owners     number of reps                 (default 6: alice .. frank)
--   :seed       setseed() value in [-1, 1]     (default 0.42)
-- Customers get owners, BANT answers and one of three journeys over the last
-- year: a pipeline deal (inquiry, calls, replies, proposal, quote, then a win,
-- a rejection or silence), a repeat buyer, or a cold contact.  Activity counts
-- are skewed: most customers have a handful, one in a thousand has thousands
-- (about 20 per customer on average).
\if :{?customers} \else \set customers 2000 \endif
\if :{?owners} \else \set owners 6 \endif
\if :{?seed} \else \set seed 0.42 \endif

SELECT setseed(:seed);
CREATE FUNCTION pg_temp.gen_rep(i int, reps int) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN reps <= 6 THEN (ARRAY['alice','bob','carol','dave','erin','frank'])[1 + i]
               ELSE 'rep' || lpad((i + 1)::text, 3, '0') END $$;

CREATE TEMP TABLE gen_customers AS
SELECT i AS customer_id,
       (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne','Hooli','Vandelay','Wonka',
              'Tyrell','Cyberdyne','Soylent','Aperture','Gringotts','Oceanic','Monarch','Massive',
              'Duff','Pied Piper','Nakatomi'])[1 + (i * 7) % 20]
         || ' ' || (ARRAY['Ltd','GmbH','Inc','Co','AG','SA','BV','LLC'])[1 + (i / 20) % 8]
         || ' #' || i AS name,
       pg_temp.gen_rep(floor(random() * :owners)::int, :owners) AS owner,
       pg_temp.gen_rep(floor(random() * :owners)::int, :owners) AS backup_owner,
       CASE WHEN random() < 0.6 THEN random() < 0.5 END AS budget,
       CASE WHEN random() < 0.6 THEN random() < 0.5 END AS authority,
       CASE WHEN random() < 0.7 THEN random() < 0.6 END AS need,
       CASE WHEN random() < 0.5 THEN random() < 0.4 END AS timeline,
       now() - interval '400 days' + random() * interval '380 days' AS created_at,
       random() AS journey,                                       -- which journey
       CASE WHEN random() < 0.001 THEN 1000 + floor(random() * 4000)::int
            ELSE greatest(1, floor(exp(random() * random() * 6.3)))::int END AS n_events
FROM generate_series(1, :customers) i;

INSERT INTO prio.customers (customer_id, name, owner, backup_owner, budget, authority, need, timeline, created_at)
SELECT customer_id, name, owner, backup_owner, budget, authority, need, timeline, created_at
FROM gen_customers ORDER BY customer_id;

-- One row per event with a kind drawn by journey and position, and a gap in days.
CREATE TEMP TABLE gen_events AS
SELECT c.customer_id, c.created_at, e.j,
       CASE
         WHEN c.journey < 0.35 THEN           -- pipeline deal: moves forward with position
           CASE
             WHEN e.j = 1 THEN (ARRAY['inquiry','visit','demo_request'])[1 + floor(r1 * 3)::int]
             WHEN e.j::float / c.n_events < 0.5 THEN (ARRAY['call','email','reply','email_open','visit','meeting'])[1 + floor(r1 * 6)::int]
             WHEN e.j < c.n_events THEN (ARRAY['reply','proposal','call','trial_use','email','quote'])[1 + floor(r1 * 6)::int]
             ELSE (ARRAY['purchase','purchase','rejected','quote','call'])[1 + floor(r1 * 5)::int]
           END
         WHEN c.journey < 0.65 THEN           -- repeat buyer
           (ARRAY['purchase','purchase','purchase','email','email_open','reply','call'])[1 + floor(r1 * 7)::int]
         ELSE                                 -- cold contact
           (ARRAY['email','email','email_open','call','visit','reply'])[1 + floor(r1 * 6)::int]
       END AS kind,
       -- gaps: a few days inside a deal, weeks between purchases and cold touches
       CASE WHEN c.journey < 0.35 THEN 1 + r2 * 6
            WHEN c.journey < 0.65 THEN 7 + r2 * 50
            ELSE 3 + r2 * 30 END AS gap_days,
       round((20 + r3 * r3 * 480)::numeric, 2) AS price
FROM gen_customers c
CROSS JOIN LATERAL (SELECT j, random() AS r1, random() AS r2, random() AS r3
                    FROM generate_series(1, c.n_events) j) e;

-- Spread each journey over the customer's life so far, ending at a random
-- point: some are active this week, some went quiet months ago.
CREATE TEMP TABLE gen_activities AS
SELECT e.customer_id, e.kind,
       e.created_at + (now() - interval '1 hour' - e.created_at)
                      * (sum(e.gap_days) OVER w / (sum(e.gap_days) OVER (PARTITION BY e.customer_id) * (1 + c.tail)))
         AS at,
       CASE WHEN e.kind = 'purchase' THEN e.price ELSE 0 END AS amount
FROM gen_events e
JOIN (SELECT customer_id, CASE WHEN random() < 0.5 THEN 0.02 * random() ELSE 2 * random() END AS tail
        FROM gen_customers ORDER BY customer_id) c USING (customer_id)
WINDOW w AS (PARTITION BY e.customer_id ORDER BY e.j);

INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT customer_id, kind, at, amount FROM gen_activities ORDER BY at;

DROP TABLE gen_customers, gen_events, gen_activities;
