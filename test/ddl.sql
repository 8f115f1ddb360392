-- pgTAP: DDL a DBA may run on prio's tables, against the engine (issue 17, defect 1).
--
-- The C code reads prio's tables by column; a column whose type a DBA changed
-- was read as the old type (ALTER activities.amount TYPE bigint, then an INSERT:
-- signal 11, the whole cluster restarted).  Here, for every column of every
-- table in prio's schema and each of three changes -- its type to a plausible
-- other type, DROP COLUMN, RENAME COLUMN -- made in a subtransaction that is
-- then rolled back, the engine is exercised: activities inserted (live,
-- purchase, backdated, a deal closed), updated and deleted, a customer
-- inserted and updated, recompute(), refresh(), explain(), the win model.
-- Rule: the backend survives, and every error has a SQLSTATE a DBA can act on,
-- never XX000 (internal error); a change prio does not read simply works.
-- Runs inside one transaction and rolls back; its customers are 88001..88004.
BEGIN;
-- 10, and one per table of prio's
SELECT plan(10 + (SELECT count(*)::int FROM pg_class
                   WHERE relnamespace = 'prio'::regnamespace AND relkind = 'r'));

CREATE TEMP TABLE t0 AS SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started;

INSERT INTO prio.customers (customer_id, owner, budget) VALUES
    (88001, 'ann', true), (88002, 'bob', NULL), (88003, 'ann', false);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (88001, 'inquiry',  now() - interval '20 days', 0),
    (88001, 'purchase', now() - interval '10 days', 250),
    (88002, 'purchase', now() - interval '40 days', 90),
    (88002, 'call',     now() - interval '2 days', 0),
    (88003, 'demo_request', now() - interval '5 days', 0);

-- The statement a DBA would run, and the type it changes a column to
CREATE FUNCTION pg_temp.other_type(t text) RETURNS text LANGUAGE sql AS $$
SELECT CASE t
    WHEN 'bigint' THEN 'numeric'
    WHEN 'integer' THEN 'bigint'
    WHEN 'numeric' THEN 'bigint'
    WHEN 'double precision' THEN 'numeric'
    WHEN 'timestamp with time zone' THEN 'timestamp without time zone'
    WHEN 'text' THEN 'character varying'
    WHEN 'boolean' THEN 'integer'
    WHEN 'jsonb' THEN 'json'
    WHEN 'interval' THEN 'text'
    WHEN 'double precision[]' THEN 'numeric[]'
    ELSE 'text' END $$;

CREATE TEMP TABLE exercise (n int, q text);
INSERT INTO exercise VALUES
    (1, $$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'reply')$$),
    (2, $$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (88001, 'purchase', 120)$$),
    (3, $$INSERT INTO prio.activities (customer_id, kind, at) VALUES (88002, 'meeting', now() - interval '30 days')$$),
    (4, $$INSERT INTO prio.activities (customer_id, kind) VALUES (88003, 'contract')$$),
    (5, $$UPDATE prio.activities SET at = at - interval '1 hour' WHERE customer_id = 88001$$),
    (6, $$DELETE FROM prio.activities WHERE customer_id = 88002 AND kind = 'call'$$),
    (7, $$UPDATE prio.customers SET budget = true, need = true, owner = 'bob' WHERE customer_id = 88001$$),
    (8, $$INSERT INTO prio.customers (customer_id) VALUES (88004)$$),
    (9, $$SELECT prio.recompute(88001)$$),
    (10, $$SELECT prio.recompute()$$),
    (11, $$SELECT prio.refresh()$$),
    (12, $$SELECT prio.explain(88001)$$),
    (13, $$SELECT prio.rebuild_win_counts()$$),
    (14, $$SELECT prio.win_probability(88001)$$),
    (15, $$SELECT count(*) FROM prio.followup$$);

-- every column of every table of prio's, and what each change did
CREATE TEMP TABLE target AS
SELECT c.relname::text AS tab, a.attname::text AS col, format_type(a.atttypid, NULL) AS typ
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'prio'::regnamespace AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped;
CREATE TEMP TABLE outcome (tab text, col text, ddl text, step text, state text, msg text);

CREATE FUNCTION pg_temp.fuzz() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t record;
    e record;
    ddl text;
    got text[];
    st text;
    m text;
BEGIN
    FOR t IN SELECT * FROM target ORDER BY tab, col LOOP
        FOREACH ddl IN ARRAY ARRAY[
            format('ALTER TABLE prio.%I ALTER COLUMN %I TYPE %s USING %I::%s', t.tab, t.col,
                   pg_temp.other_type(t.typ), t.col, pg_temp.other_type(t.typ)),
            format('ALTER TABLE prio.%I DROP COLUMN %I', t.tab, t.col),
            format('ALTER TABLE prio.%I RENAME COLUMN %I TO %I', t.tab, t.col, t.col || '_renamed')]
        LOOP
            got := '{}';
            BEGIN
                EXECUTE ddl;
                FOR e IN SELECT * FROM exercise ORDER BY n LOOP
                    BEGIN
                        EXECUTE e.q;
                        got := got || ARRAY[e.q, '00000', ''];
                    EXCEPTION WHEN OTHERS THEN
                        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
                        got := got || ARRAY[e.q, st, m];
                    END;
                END LOOP;
                RAISE EXCEPTION 'roll back' USING ERRCODE = 'PX000';
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
                IF st <> 'PX000' THEN
                    got := ARRAY['the DDL', st, m];	-- refused: a dependent view, a key ...
                END IF;
            END;
            INSERT INTO outcome
            SELECT t.tab, t.col, ddl, got[i], got[i + 1], got[i + 2]
              FROM generate_series(1, coalesce(array_length(got, 1), 0), 3) i;
        END LOOP;
    END LOOP;
END $$;

-- The reported crash: a clear error naming the column instead
SAVEPOINT crash;
ALTER TABLE prio.activities ALTER COLUMN amount TYPE bigint;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'reply')$$,
    '42804', 'column "amount" of prio.activities has type bigint, but prio reads it as numeric',
    'activities.amount altered to bigint: an INSERT is refused with 42804 naming the column, not a crash');
ROLLBACK TO SAVEPOINT crash;
SAVEPOINT dropped;
ALTER TABLE prio.customer_state DROP COLUMN rule;
SELECT throws_ok($$SELECT prio.recompute()$$, '42703',
    'table prio.customer_state has no column "rule", which prio reads',
    'customer_state.rule dropped: recompute() is refused with 42703 naming the column');
ROLLBACK TO SAVEPOINT dropped;
SAVEPOINT renamed;
ALTER TABLE prio.activity_kinds RENAME COLUMN intent_weight TO weight;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'reply')$$,
    '42703', NULL, 'activity_kinds.intent_weight renamed: an INSERT is refused with 42703');
ROLLBACK TO SAVEPOINT renamed;
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'reply')$$,
    'once the change is undone, the engine works again');

SELECT pg_temp.fuzz();

-- one assertion per table: no change of any column gives an internal error
SELECT is(array(SELECT format('%s / %s: %s (%s)', o.ddl, o.step, o.msg, o.state)
                  FROM outcome o WHERE o.tab = t.tab AND o.state = 'XX000' ORDER BY 1),
          '{}'::text[],
          format('prio.%s: a type change, drop or rename of any column never gives XX000', t.tab))
  FROM (SELECT DISTINCT tab FROM target) t ORDER BY t.tab;

SELECT cmp_ok((SELECT count(DISTINCT (tab, col)) FROM outcome)::int, '>=', 100,
              'every column of prio''s tables was changed (at least 100)');
SELECT ok((SELECT count(*) FROM outcome WHERE step <> 'the DDL') > 1000,
          'the engine was exercised after the changes it allowed');
-- the columns prio reads, changed, give the clear errors; the others work
SELECT is((SELECT array_agg(DISTINCT state ORDER BY state) FROM outcome
            WHERE tab = 'activities' AND col = 'amount' AND ddl LIKE '%TYPE%'
              AND step LIKE 'INSERT INTO prio.activities%'),
          '{42804}', 'activities.amount of another type: every INSERT gives 42804');
SELECT is((SELECT array_agg(DISTINCT state ORDER BY state) FROM outcome
            WHERE tab = 'activities' AND col = 'note' AND step <> 'the DDL'),
          '{00000}', 'activities.note, which prio does not read: every change leaves the engine working');

SELECT is(pg_backend_pid(), (SELECT pid FROM t0), 'same backend as at the start');
SELECT is(pg_postmaster_start_time(), (SELECT started FROM t0), 'postmaster not restarted');

SELECT * FROM finish();
ROLLBACK;
