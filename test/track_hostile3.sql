-- pgTAP: tracked deals broken as a new user would (helper "hostile3"): cases
-- test/deals.sql, randomized_deals.sql, hostile.sql, track_hostile2.sql and
-- sql/deals.sql, sql/crm.sql do not cover, each a defect found and fixed.
--
-- Rules checked, each named in its assertions:
--   D1 the deals mapping key "customers" (the tracked customers table the
--      deals' customer is a key of, documented for when several tracked
--      customers tables have keys of the customer's type) works: track()
--      mirrors the deals to that table's customers, the next writes follow,
--      the live state equals recompute().  Every such track() failed with
--      42702 (column reference "mapping" is ambiguous: the function's
--      parameter and prio.sources.mapping), so such deals could not be
--      tracked at all.  A "customers" that is no tracked customers table is
--      42704 (it was 42702 too).
--   D2 one row of a tracked deals table is one deal, as for a customers
--      table: track() refuses a deals key that is no column with an
--      immediate, non-partial unique index (42P10; an expression, 22023),
--      and tracks nothing.  Such keys were taken: of two rows with one key
--      the live triggers kept the last one written and a DELETE of either
--      removed the deal though the other row stayed, while recompute() put
--      back one of them (which, the scan's order decided) and returned 0:
--      the live state was not recompute()'s.
--   D3 untrack() of a deals table works after the application's DDL on it:
--      renamed (another table then taking its old name), moved to another
--      schema, or dropped (untrack() by its OID): its mirrored deals go,
--      its customers' deal facts are refolded, and then its customers
--      table can be untracked.  The compiled SQL untrack() ran names the
--      table: it failed with 42P01, or removed the deals of the table now
--      of that name, and the customers table could not be untracked while
--      the deals were tracked (2BP01): stuck, with deals of a table that is
--      gone counted in the pipeline.
--   D4 track() of a deals table with a row the mapping fails on, or that is
--      no deal prio.deals can hold (a stage not in prio.deal_stages, an
--      amount out of range), says so, as for customers and activities
--      tables (hostile2 H8): "prio.track(): the mapping fails on a row of
--      <table>: ..." with the row's SQLSTATE, and the hint; nothing is
--      tracked.  It was the bare constraint or cast error inside the
--      compiled SQL (printed as CONTEXT), naming prio.deals.
--   D6 a deals customer whose collation would decide otherwise than the
--      customers key's is refused at track() (42P21, the COLLATE to write
--      as hint), as an activities customer is (hostile2 H6): one of
--      another collation than a case-insensitive key's made every later
--      write of the deals table fail on prio's side ("could not determine
--      which collation"); a case-insensitive one against a key of the
--      database's collation made a row the deal of two customers ('ACME'
--      and 'acme').  Under the
--      hint's COLLATE it is tracked and both tables' writes reach prio.
--   D7 a text deal key under a case-insensitive collation respelt by an
--      UPDATE ('Deal-A' to 'DEAL-A') stays one deal: the key compared as
--      text under its own collation kept the old mirror beside the new
--      one (pipeline counted twice), and recompute() kept both.
--   D8 a float8 deal key reads the same whatever the session running
--      track() or recompute() set (extra_float_digits 0 made 0.1 + 0.2 a
--      second deal, '0.3' beside the triggers' '0.30000000000000004').
--   D9 the deals of a tracked deals table follow its customers deleted and
--      inserted again (an ETL reload: DELETE and INSERT, TRUNCATE and
--      INSERT): each customer has its deals back at once, its deal facts
--      are recompute()'s, and recompute() finds nothing to fix.  They went
--      with the customer (prio.deals' foreign key) until recompute().
--   D10 a customer under a new key gets that key's deals and loses its old
--      key's, as a fresh track() has it, also with keys shifted in one
--      statement (A to B, B to C).  It kept its old key's until recompute().
--   D11 a deal row prio cannot hold (a stage not in prio.deal_stages) never
--      stops the customers table's own sync: an ETL reload of the customers
--      mirrors them (and refolds their activities); the deals table alone
--      notes the error (prio.tracked.last_error), its other deals follow,
--      and recompute() notes the same.  (A first fix, withdrawn, ran the
--      deals in the customers table's subtransaction: the reload left
--      prio.customers empty.)
--   D12 recompute() counts a customer whose deal facts it fixed by mirroring
--      the deals tables again (a deals write that missed prio): it returned
--      0, the re-mirror having written the facts through the deals trigger
--      before they were compared. (0.5) Once, when its folded facts were wrong too.
--   D13 a customer inserted (or rekeyed) with no deal of its keys runs no
--      data-modifying statement on prio.deals: the statement that makes deals
--      follow fired prio.deals' three statement triggers on every customers
--      INSERT, writing nothing.
-- Runs inside one transaction and rolls back.
BEGIN;
SELECT plan(68);
SET LOCAL client_min_messages = warning;

CREATE SCHEMA th3;

-- D1 ----------------------------------------------------------------------
-- two tracked customers tables with integer keys: the deals name theirs
CREATE TABLE th3.acc_a (id int PRIMARY KEY, name text);
CREATE TABLE th3.acc_b (id int PRIMARY KEY, name text);
INSERT INTO th3.acc_a VALUES (1, 'a1'), (2, 'a2');
INSERT INTO th3.acc_b VALUES (1, 'b1'), (2, 'b2');
SELECT prio.track('th3.acc_a', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('th3.acc_b', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TABLE th3.opp (id int PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.opp VALUES (10, 1, 'quote', 100), (11, 2, 'negotiation', 250);

SELECT lives_ok($$SELECT prio.track('th3.opp', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc_b"}')$$,
                'D1 track() of deals whose "customers" names a tracked customers table works');
SELECT results_eq($$SELECT d.deal_key, c.name, d.stage, d.amount FROM prio.deals d JOIN prio.customers c USING (customer_id)
                     WHERE d.source = 'th3.opp'::regclass ORDER BY d.deal_key$$,
                  $$VALUES ('10', 'b1', 'quote', 100::numeric), ('11', 'b2', 'negotiation', 250::numeric)$$,
                  'D1 the deals are mirrored to the customers of the table "customers" names');
UPDATE th3.opp SET st = 'signing', acc = 1 WHERE id = 11;
INSERT INTO th3.opp VALUES (12, 2, 'won', 40);
SELECT results_eq($$SELECT d.deal_key, c.name, d.stage FROM prio.deals d JOIN prio.customers c USING (customer_id)
                     WHERE d.source = 'th3.opp'::regclass ORDER BY d.deal_key$$,
                  $$VALUES ('10', 'b1', 'quote'), ('11', 'b1', 'signing'), ('12', 'b2', 'won')$$,
                  'D1 the next writes of the table follow (to that table''s customers)');
SELECT results_eq($$SELECT c.name, s.open_deals, s.funnel_stage, s.pipeline, s.deal_outcome
                      FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                     WHERE c.source IN ('th3.acc_a'::regclass, 'th3.acc_b'::regclass) ORDER BY c.name$$,
                  $$VALUES ('a1', 0, NULL::text, 0::numeric, NULL::text), ('a2', 0, NULL, 0, NULL),
                           ('b1', 2, 'signing', 350, NULL), ('b2', 0, NULL, 0, 'won')$$,
                  'D1 the deal facts are those of the named table''s customers');
SELECT is(prio.recompute(), 0, 'D1 the live state equals recompute()');
SELECT is(count(last_error), 0::bigint, 'D1 no tracked table noted an error') FROM prio.tracked;
CREATE TABLE th3.opp2 (id int PRIMARY KEY, acc int, st text);
SELECT throws_ok($$SELECT prio.track('th3.opp2', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.opp"}')$$,
                 '42704', NULL, 'D1 a "customers" that is a table tracked otherwise is 42704');
SELECT throws_ok($$SELECT prio.track('th3.opp2', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.nosuch"}')$$,
                 '42704', NULL, 'D1 a "customers" that is no table is 42704');
SELECT lives_ok($$SELECT prio.untrack('th3.opp')$$, 'D1 untrack() of the deals table');

-- D2 ----------------------------------------------------------------------
CREATE TABLE th3.dup (id int, acc int, st text);
INSERT INTO th3.dup VALUES (1, 1, 'quote'), (1, 2, 'negotiation');
SELECT throws_ok($$SELECT prio.track('th3.dup', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.acc_a"}')$$,
                 '42P10', NULL, 'D2 a deals key without a unique index is refused at track() (42P10)');
CREATE UNIQUE INDEX ON th3.dup (id) WHERE st = 'won';
SELECT throws_ok($$SELECT prio.track('th3.dup', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.acc_a"}')$$,
                 '42P10', NULL, 'D2 a deals key with a partial unique index only is refused at track() (42P10)');
CREATE TABLE th3.deferred (id int UNIQUE DEFERRABLE INITIALLY DEFERRED, acc int, st text);
SELECT throws_ok($$SELECT prio.track('th3.deferred', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.acc_a"}')$$,
                 '42P10', NULL, 'D2 a deals key with a deferrable unique constraint is refused at track() (42P10)');
SELECT throws_ok($$SELECT prio.track('th3.opp', 'deals', '{"key": "id + 0", "customer": "acc", "stage": "st", "customers": "th3.acc_a"}')$$,
                 '22023', NULL, 'D2 a deals key that is an expression is refused at track() (22023)');
SELECT is((SELECT count(*) FROM prio.tracked WHERE source IN ('th3.dup'::regclass, 'th3.deferred'::regclass, 'th3.opp'::regclass)),
          0::bigint, 'D2 a refused deals table is not tracked');

-- D3 ----------------------------------------------------------------------
CREATE TABLE th3.acc3 (id int PRIMARY KEY, name text);
INSERT INTO th3.acc3 VALUES (1, 'c1'), (2, 'c2'), (3, 'c3');
SELECT prio.track('th3.acc3', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE SCHEMA th3_other;
CREATE TABLE th3.ren (id int PRIMARY KEY, acc int, st text, val numeric);
CREATE TABLE th3.mov (id int PRIMARY KEY, acc int, st text, val numeric);
CREATE TABLE th3.gone (id int PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.ren VALUES (1, 1, 'quote', 10);
INSERT INTO th3.mov VALUES (1, 2, 'negotiation', 20);
INSERT INTO th3.gone VALUES (1, 3, 'signing', 30);
SELECT prio.track('th3.ren', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc3"}');
SELECT prio.track('th3.mov', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc3"}');
SELECT prio.track('th3.gone', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc3"}');
SELECT 'th3.gone'::regclass::oid AS gone_oid \gset
SELECT is((SELECT sum(s.pipeline) FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE c.source = 'th3.acc3'::regclass),
          60::numeric, 'D3 three tracked deals tables, a deal each');
ALTER TABLE th3.ren RENAME TO ren_old;
CREATE TABLE th3.ren (id int PRIMARY KEY, acc int, st text, val numeric);   -- another table of the old name
ALTER TABLE th3.mov SET SCHEMA th3_other;
DROP TABLE th3.gone;
SELECT lives_ok($$SELECT prio.untrack('th3.ren_old')$$, 'D3 untrack() of a renamed deals table works');
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'th3.ren_old'::regclass), 0::bigint,
          'D3 the renamed table''s deals are gone (not those of the table now of its old name)');
SELECT lives_ok($$SELECT prio.untrack('th3_other.mov')$$, 'D3 untrack() of a deals table moved to another schema works');
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'th3_other.mov'::regclass), 0::bigint, 'D3 the moved table''s deals are gone');
SELECT lives_ok(format('SELECT prio.untrack(%s)', :gone_oid), 'D3 untrack() of a dropped deals table by its OID works');
SELECT is((SELECT count(*) FROM prio.deals WHERE source = :gone_oid::oid::regclass), 0::bigint, 'D3 the dropped table''s deals are gone');
SELECT results_eq($$SELECT c.name, s.open_deals, s.pipeline, s.funnel_stage FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                     WHERE c.source = 'th3.acc3'::regclass ORDER BY c.name$$,
                  $$VALUES ('c1', 0, 0::numeric, NULL::text), ('c2', 0, 0, NULL), ('c3', 0, 0, NULL)$$,
                  'D3 their customers'' deal facts are refolded without them');
SELECT is(prio.recompute(), 0, 'D3 the live state equals recompute()');
SELECT lives_ok($$SELECT prio.untrack('th3.acc3')$$, 'D3 then the customers table can be untracked');

-- D4 ----------------------------------------------------------------------
CREATE TABLE th3.acc4 (id int PRIMARY KEY, name text);
INSERT INTO th3.acc4 VALUES (1, 'd1');
SELECT prio.track('th3.acc4', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TABLE th3.bad (id int PRIMARY KEY, acc int, st text, val text, amt numeric);
INSERT INTO th3.bad VALUES (1, 1, 'quote', '5', 5), (2, 1, 'Weird', 'x', -5);
SELECT throws_ok($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.acc4"}')$$,
                 '23503', NULL, 'D4 a row whose stage is not in prio.deal_stages fails track() (23503)');
SELECT throws_like($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "customers": "th3.acc4"}')$$,
                   'prio.track(): the mapping fails on a row of th3.bad: %deals_stage_fkey%',
                   'D4 an unknown stage fails track() saying so, with the table');
SELECT throws_ok($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "''quote''", "amount": "amt", "customers": "th3.acc4"}')$$,
                 '23514', NULL, 'D4 a row whose amount is negative fails track() (23514)');
SELECT throws_like($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "''quote''", "amount": "amt", "customers": "th3.acc4"}')$$,
                   'prio.track(): the mapping fails on a row of th3.bad: %amount%',
                   'D4 a negative amount fails track() saying so, with the table');
SELECT throws_ok($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "''quote''", "amount": "val::numeric", "customers": "th3.acc4"}')$$,
                 '22P02', 'prio.track(): the mapping fails on a row of th3.bad: invalid input syntax for type numeric: "x"',
                 'D4 a row the amount''s cast fails on fails track() (22P02), saying so');
SELECT throws_ok($$SELECT prio.track('th3.bad', 'deals', '{"key": "id", "customer": "acc", "stage": "''quote''", "amount": "amt / 0", "customers": "th3.acc4"}')$$,
                 '22012', 'prio.track(): the mapping fails on a row of th3.bad: division by zero',
                 'D4 a row the amount''s expression fails on fails track() (22012), saying so');
SELECT is((SELECT count(*) FROM prio.tracked WHERE source = 'th3.bad'::regclass) + (SELECT count(*) FROM prio.deals WHERE source = 'th3.bad'::regclass),
          0::bigint, 'D4 nothing is tracked');

-- D6 ----------------------------------------------------------------------
CREATE COLLATION th3.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE th3.acc6 (k text COLLATE th3.ci PRIMARY KEY, name text);
INSERT INTO th3.acc6 VALUES ('ACME', 'a'), ('Globex', 'g');
SELECT prio.track('th3.acc6', 'customers', '{"key": "k", "name": "name", "view": false}');
CREATE TABLE th3.opp6 (id int PRIMARY KEY, acct text COLLATE "C", st text);
SELECT throws_ok($$SELECT prio.track('th3.opp6', 'deals', '{"key": "id", "customer": "acct", "stage": "st", "customers": "th3.acc6"}')$$,
                 '42P21', NULL, 'D6 a deals customer of another collation than a case-insensitive key''s is refused (42P21)');
CREATE TABLE th3.acc6d (k text PRIMARY KEY, name text);
INSERT INTO th3.acc6d VALUES ('ACME', 'a'), ('acme', 'b');
SELECT prio.track('th3.acc6d', 'customers', '{"key": "k", "name": "name", "view": false}');
CREATE TABLE th3.opp6d (id int PRIMARY KEY, acct text COLLATE th3.ci, st text);
SELECT throws_ok($$SELECT prio.track('th3.opp6d', 'deals', '{"key": "id", "customer": "acct", "stage": "st", "customers": "th3.acc6d"}')$$,
                 '42P21', NULL, 'D6 a case-insensitive deals customer against a key of the database''s collation is refused (42P21)');
SELECT lives_ok($$SELECT prio.track('th3.opp6', 'deals', '{"key": "id", "customer": "(acct) COLLATE th3.ci", "stage": "st", "customers": "th3.acc6"}')$$,
                'D6 under the hint''s COLLATE it is tracked');
INSERT INTO th3.acc6 VALUES ('INITECH', 'i');
INSERT INTO th3.opp6 VALUES (1, 'acme', 'quote'), (2, 'initech', 'negotiation');
SELECT results_eq($$SELECT d.deal_key, c.customer_key FROM prio.deals d JOIN prio.customers c USING (customer_id)
                     WHERE d.source = 'th3.opp6'::regclass ORDER BY 1$$,
                  $$VALUES ('1', 'ACME'), ('2', 'INITECH')$$,
                  'D6 under that COLLATE both tables'' writes reach prio');
SELECT is((SELECT count(last_error) FROM prio.tracked WHERE source IN ('th3.acc6'::regclass, 'th3.opp6'::regclass)), 0::bigint,
          'D6 under that COLLATE no tracked table notes an error');
SELECT is(prio.recompute(), 0, 'D6 the live state equals recompute()');

-- D7 ----------------------------------------------------------------------
CREATE TABLE th3.acc7 (id int PRIMARY KEY);
INSERT INTO th3.acc7 VALUES (1);
SELECT prio.track('th3.acc7', 'customers', '{"key": "id", "view": false}');
CREATE TABLE th3.opp7 (code text COLLATE th3.ci PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.opp7 VALUES ('Deal-A', 1, 'quote', 100);
SELECT prio.track('th3.opp7', 'deals', '{"key": "code", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc7"}');
UPDATE th3.opp7 SET code = 'DEAL-A';
SELECT is((SELECT string_agg(deal_key, ' ') FROM prio.deals WHERE source = 'th3.opp7'::regclass),
          'DEAL-A', 'D7 a case-insensitive deal key respelt by an UPDATE stays one deal, under its new spelling');
SELECT is(prio.recompute(), 0, 'D7 ... and recompute() agrees');

-- D8 ----------------------------------------------------------------------
CREATE TABLE th3.opp8 (k float8 PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.opp8 VALUES (0.1::float8 + 0.2::float8, 1, 'quote', 100);
SET LOCAL extra_float_digits = 0;
SELECT prio.track('th3.opp8', 'deals', '{"key": "k", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc7"}');
SELECT prio.recompute();
UPDATE th3.opp8 SET val = 200;
RESET extra_float_digits;
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'th3.opp8'::regclass), 1::bigint,
          'D8 a float8 deal key tracked and recomputed under extra_float_digits 0 is one deal, as the triggers read it');
SELECT is((SELECT amount FROM prio.deals WHERE source = 'th3.opp8'::regclass), 200::numeric,
          'D8 ... and the application''s UPDATE reaches it');

-- D9 ----------------------------------------------------------------------
CREATE TABLE th3.acc9 (id int PRIMARY KEY, name text);
INSERT INTO th3.acc9 SELECT g, 'e' || g FROM generate_series(1, 4) g;
SELECT prio.track('th3.acc9', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TABLE th3.act9 (id int PRIMARY KEY, acc int, kind text, at timestamptz, amount numeric);
INSERT INTO th3.act9 VALUES (1, 1, 'purchase', now() - interval '3 days', 40), (2, 2, 'purchase', now() - interval '5 days', 70);
SELECT prio.track('th3.act9', 'activities', '{"customer": "acc", "kind": "kind", "at": "at", "amount": "amount", "customers": "th3.acc9"}');
CREATE TABLE th3.opp9 (id int PRIMARY KEY, acc int, st text, val numeric, won_at timestamptz);
INSERT INTO th3.opp9 VALUES (1, 1, 'quote', 100, NULL), (2, 2, 'negotiation', 500, NULL), (3, 9, 'signing', 70, NULL),
                            (4, 1, 'won', 30, now() - interval '2 days'), (5, 3, 'lost', 10, now() - interval '1 day');
SELECT prio.track('th3.opp9', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "closed_at": "won_at", "customers": "th3.acc9"}');
CREATE FUNCTION pg_temp.facts9(src regclass) RETURNS TABLE (k text, open_deals integer, funnel_stage text, pipeline numeric,
                                                              last_deal_at timestamptz, deal_outcome text, frequency bigint)
LANGUAGE sql AS $$
    SELECT c.customer_key, s.open_deals, s.funnel_stage, s.pipeline, s.last_deal_at, s.deal_outcome::text, s.frequency
      FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
     WHERE c.source = src ORDER BY 1
$$;
CREATE FUNCTION pg_temp.deals9(src regclass) RETURNS TABLE (deal_key text, k text)
LANGUAGE sql AS $$
    SELECT d.deal_key, c.customer_key FROM prio.deals d JOIN prio.customers c USING (customer_id)
     WHERE d.source = src ORDER BY 1
$$;
CREATE TEMP TABLE want9 AS SELECT * FROM pg_temp.facts9('th3.acc9');
-- an ETL reload of the accounts, in one transaction
DELETE FROM th3.acc9;
INSERT INTO th3.acc9 SELECT g, 'e' || g FROM generate_series(1, 4) g;
SELECT results_eq($$SELECT * FROM pg_temp.deals9('th3.opp9')$$, $$VALUES ('1', '1'), ('2', '2'), ('4', '1'), ('5', '3')$$,
                  'D9 customers deleted and inserted again get the deals of their keys back');
SELECT results_eq($$SELECT * FROM pg_temp.facts9('th3.acc9')$$, $$SELECT * FROM want9 ORDER BY 1$$,
                  'D9 customers deleted and inserted again get their deal facts back');
SELECT ok((SELECT bool_and(open_deals IS NOT NULL) AND count(*) FILTER (WHERE open_deals > 0) = 2 FROM want9),
          'D9 (the facts compared are not empty)');
SELECT is(prio.recompute(), 0, 'D9 recompute() finds nothing to fix after DELETE and INSERT');
SELECT results_eq($$SELECT * FROM pg_temp.facts9('th3.acc9')$$, $$SELECT * FROM want9 ORDER BY 1$$,
                  'D9 the live deal facts are recompute()''s');
-- a TRUNCATE and a reload
TRUNCATE th3.acc9;
INSERT INTO th3.acc9 SELECT g, 'e' || g FROM generate_series(1, 4) g;
SELECT results_eq($$SELECT * FROM pg_temp.facts9('th3.acc9')$$, $$SELECT * FROM want9 ORDER BY 1$$,
                  'D9 customers truncated and loaded again get their deals and deal facts back');
SELECT is(prio.recompute(), 0, 'D9 recompute() finds nothing to fix after TRUNCATE and INSERT');
-- one customer deleted, and its key inserted again in a later statement, with a new deal meanwhile
DELETE FROM th3.acc9 WHERE id = 2;
INSERT INTO th3.opp9 VALUES (6, 2, 'quote', 5, NULL);
INSERT INTO th3.acc9 VALUES (2, 'e2');
SELECT results_eq($$SELECT * FROM pg_temp.deals9('th3.opp9')$$, $$VALUES ('1', '1'), ('2', '2'), ('4', '1'), ('5', '3'), ('6', '2')$$,
                  'D9 a customer inserted again gets the deals written while it was away');
SELECT is(prio.recompute(), 0, 'D9 ... and recompute() finds nothing to fix');

-- D10 ---------------------------------------------------------------------
-- a customer under a new key: key 9's deal, not key 1's
UPDATE th3.acc9 SET id = 9 WHERE id = 1;
SELECT results_eq($$SELECT * FROM pg_temp.deals9('th3.opp9')$$, $$VALUES ('2', '2'), ('3', '9'), ('5', '3'), ('6', '2')$$,
                  'D10 a customer under a new key gets that key''s deals and loses its old key''s');
SELECT is(prio.recompute(), 0, 'D10 recompute() finds nothing to fix (new key)');
-- keys shifted in one statement (3 to 4, 2 to 3, 1 to 2; 4's deal had no customer)
CREATE TABLE th3.acc10 (id int PRIMARY KEY, name text);
INSERT INTO th3.acc10 VALUES (3, 'n3'), (2, 'n2'), (1, 'n1');
SELECT prio.track('th3.acc10', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TABLE th3.opp10 (id text PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.opp10 VALUES ('a', 1, 'quote', 1), ('b', 2, 'signing', 20), ('c', 3, 'negotiation', 300), ('d', 4, 'quote', 4000);
SELECT prio.track('th3.opp10', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc10"}');
UPDATE th3.acc10 SET id = CASE id WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4 END;
SELECT results_eq($$SELECT d.deal_key, c.customer_key, c.name FROM prio.deals d JOIN prio.customers c USING (customer_id)
                     WHERE d.source = 'th3.opp10'::regclass ORDER BY 1$$,
                  $$VALUES ('b', '2', 'n1'), ('c', '3', 'n2'), ('d', '4', 'n3')$$,
                  'D10 keys shifted in one statement: each customer has its new key''s deals only');
SELECT results_eq($$SELECT c.name, s.pipeline FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                     WHERE c.source = 'th3.acc10'::regclass ORDER BY 1$$,
                  $$VALUES ('n1', 20::numeric), ('n2', 300), ('n3', 4000)$$,
                  'D10 ... and their deal facts follow');
CREATE TEMP TABLE live10 AS SELECT * FROM pg_temp.facts9('th3.acc10');
SELECT is(prio.recompute(), 0, 'D10 recompute() finds nothing to fix (keys shifted)');
SELECT results_eq($$SELECT * FROM pg_temp.facts9('th3.acc10')$$, $$SELECT * FROM live10 ORDER BY 1$$,
                  'D10 the live deal facts are recompute()''s (keys shifted)');

-- D11 ---------------------------------------------------------------------
CREATE TABLE th3.acc11 (id int PRIMARY KEY, name text);
INSERT INTO th3.acc11 SELECT g, 'f' || g FROM generate_series(1, 3) g;
SELECT prio.track('th3.acc11', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TABLE th3.act11 (id int PRIMARY KEY, acc int, kind text, at timestamptz, amount numeric);
INSERT INTO th3.act11 VALUES (1, 1, 'purchase', now() - interval '3 days', 40), (2, 3, 'purchase', now() - interval '5 days', 70);
SELECT prio.track('th3.act11', 'activities', '{"customer": "acc", "kind": "kind", "at": "at", "amount": "amount", "customers": "th3.acc11"}');
CREATE TABLE th3.opp11 (id int PRIMARY KEY, acc int, st text, val numeric);
INSERT INTO th3.opp11 VALUES (1, 1, 'quote', 100), (2, 2, 'negotiation', 500);
SELECT prio.track('th3.opp11', 'deals', '{"key": "id", "customer": "acc", "stage": "st", "amount": "val", "customers": "th3.acc11"}');
CREATE TEMP TABLE want11 AS SELECT * FROM pg_temp.facts9('th3.acc11');
-- a deal of customer 2 that prio cannot hold (its write warns, as before)
UPDATE th3.opp11 SET st = 'Weird' WHERE id = 2;
DELETE FROM th3.acc11;
INSERT INTO th3.acc11 SELECT g, 'f' || g FROM generate_series(1, 3) g;
SELECT results_eq($$SELECT c.customer_key, c.name FROM prio.customers c WHERE c.source = 'th3.acc11'::regclass ORDER BY 1$$,
                  $$VALUES ('1', 'f1'), ('2', 'f2'), ('3', 'f3')$$,
                  'D11 a deal row prio cannot hold does not stop the customers table''s own sync (reload)');
SELECT results_eq($$SELECT k, frequency FROM pg_temp.facts9('th3.acc11')$$, $$SELECT k, frequency FROM want11 ORDER BY 1$$,
                  'D11 ... and their activities are folded');
SELECT is((SELECT last_error IS NULL FROM prio.tracked WHERE source = 'th3.acc11'::regclass), true,
          'D11 the customers table notes no error');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'th3.opp11'::regclass) LIKE '%deals_stage_fkey%', true,
          'D11 the deals table notes the error (its last_error)');
SELECT is_empty($$SELECT * FROM pg_temp.deals9('th3.opp11')$$,
                'D11 the deals table''s part is all or nothing, as a write of it: none mirrored while one row cannot be');
UPDATE prio.sources SET last_error = NULL, last_error_at = NULL WHERE relid = 'th3.opp11'::regclass;
SELECT prio.recompute();
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'th3.opp11'::regclass) LIKE '%deals_stage_fkey%', true,
          'D11 recompute() notes the same error of the deals table');
SELECT is((SELECT count(*) FROM prio.customers WHERE source = 'th3.acc11'::regclass), 3::bigint,
          'D11 recompute() keeps the customers');

-- D12 ---------------------------------------------------------------------
-- a deals write that missed prio (its triggers off): recompute() fixes it, and says so
SET LOCAL session_replication_role = replica;
UPDATE th3.opp9 SET val = 77 WHERE id = 3;
SET LOCAL session_replication_role = origin;
SELECT is(prio.recompute(), 1, 'D12 recompute() counts the customer whose deal facts re-mirroring fixed');
SELECT is(prio.recompute(), 0, 'D12 ... once');
-- and one whose folded facts were wrong too is one customer fixed
SET LOCAL session_replication_role = replica;
UPDATE th3.opp9 SET val = 78 WHERE id = 3;
SET LOCAL session_replication_role = origin;
UPDATE prio.customer_state SET frequency = frequency + 1
 WHERE customer_id = (SELECT customer_id FROM prio.deals WHERE source = 'th3.opp9'::regclass AND deal_key = '3');
SELECT is(prio.recompute(), 1, 'D12 a customer whose deal facts re-mirroring fixed and whose folded facts were wrong counts once');

-- D13 ---------------------------------------------------------------------
-- a customer inserted with no deal, or rekeyed between keys with none, costs
-- no data-modifying statement on prio.deals (each fired prio.deals' three
-- statement triggers, a customers INSERT +30% CPU); one with a deal gets it
SET LOCAL track_functions = 'all';
CREATE FUNCTION pg_temp.deal_trigger_calls() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(f.calls), 0)::bigint FROM pg_stat_xact_user_functions f
     WHERE f.funcid = 'prio.deals_changed()'::regprocedure
$$;
CREATE TEMP TABLE calls13 AS SELECT pg_temp.deal_trigger_calls() AS n;
INSERT INTO th3.acc9 VALUES (50, 'e50');
UPDATE th3.acc9 SET id = 51 WHERE id = 50;
SELECT is(pg_temp.deal_trigger_calls() - (SELECT n FROM calls13), 0::bigint,
          'D13 a customer inserted or rekeyed with no deal of its keys writes no prio.deals (its triggers do not fire)');
INSERT INTO th3.opp9 VALUES (13, 52, 'quote', 13, NULL);
INSERT INTO th3.acc9 VALUES (52, 'e52');
SELECT results_eq($$SELECT k FROM pg_temp.deals9('th3.opp9') WHERE deal_key = '13'$$, $$VALUES ('52')$$,
                  'D13 ... and one inserted with a deal of its key gets it');

SELECT * FROM finish();
ROLLBACK;
