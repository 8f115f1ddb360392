-- pgTAP: tracked activities with several events per row (prio.track() of an
-- activities table whose mapping is an array of event mappings, or "events").
--
-- Rules checked, each named in its assertions:
--   E1 the application's writes of a table of several events a row never fail
--      because of prio, and no change fails on prio's side.
--   E2 live: after random INSERTs (two or three events a row; ties between a
--      row's events and across rows at one instant; NULL and unknown kinds, NULL
--      and future times, refunds), UPDATEs moving rows between customers and
--      changing their times, and DELETEs, the live state equals recompute()
--      (facts, stage, tier).
--   E3 a row's events are what the same events give one row each: the state of
--      a table of several events a row equals that of the table of its events
--      unrolled, one a row, tracked with the single mapping.
--   E4 prio.unmapped_kinds counts events: per kind prio does not know, as many
--      as the rows' events have that kind.
--   E5 TRUNCATE, then the same rows again in one statement, gives the same state.
-- Runs inside one transaction and rolls back.
BEGIN;
SELECT plan(9);
SET LOCAL client_min_messages = warning;

CREATE SCHEMA tev;
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN '00000'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;
CREATE TABLE tev.acc (id text PRIMARY KEY, label text);
INSERT INTO tev.acc SELECT 'acc' || i, 'account ' || i FROM generate_series(1, 120) i;
-- a deal: engaged, then closed (won: a purchase of value, a refund when
-- negative; lost: a rejection; open: no kind), and a referrer's reply
CREATE TABLE tev.deals (id serial PRIMARY KEY, acc text, referrer text, stage text,
                        engaged_at timestamptz, closed_at timestamptz, value numeric);
CREATE INDEX ON tev.deals (acc);
CREATE INDEX ON tev.deals (referrer);
SELECT setseed(0.29);
CREATE FUNCTION pg_temp.random_deals(n integer)
RETURNS TABLE (acc text, referrer text, stage text, engaged_at timestamptz, closed_at timestamptz, value numeric)
LANGUAGE sql AS $$
SELECT CASE WHEN random() < 0.05 THEN NULL ELSE 'acc' || (1 + (random() * 125)::int) END,
       CASE WHEN random() < 0.7 THEN NULL ELSE 'acc' || (1 + (random() * 125)::int) END,
       (ARRAY['won', 'won', 'lost', 'open', 'odd', NULL])[1 + (random() * 5)::int],
       e, CASE WHEN random() < 0.3 THEN e WHEN random() < 0.05 THEN NULL ELSE e + ((random() * 20)::int || ' days')::interval END,
       CASE WHEN random() < 0.1 THEN -(random() * 50)::int ELSE (random() * 100)::int END
  FROM (SELECT CASE WHEN random() < 0.03 THEN now() + interval '2 days'
                    WHEN random() < 0.03 THEN NULL
                    ELSE date_trunc('day', now()) - ((random() * 90)::int || ' days')::interval END AS e
          FROM generate_series(1, n)) g $$;
INSERT INTO tev.deals (acc, referrer, stage, engaged_at, closed_at, value) SELECT * FROM pg_temp.random_deals(1200);
SELECT prio.track('tev.acc', 'customers', '{"key": "id", "name": "label"}');
SELECT prio.track('tev.deals', 'activities', $${"customers": "tev.acc", "events": [
    {"customer": "acc", "kind": "'meeting'", "at": "engaged_at"},
    {"customer": "acc", "kind": "CASE stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' WHEN 'odd' THEN 'no_such_kind' END",
     "at": "closed_at", "amount": "value"},
    {"customer": "referrer", "kind": "'reply'", "at": "engaged_at"}]}$$);
CREATE FUNCTION pg_temp.state_print() RETURNS text LANGUAGE sql AS $$
SELECT md5(string_agg(concat_ws(',', s.customer_id, s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at,
                                s.last_purchase_at, s.frequency, s.monetary, round(s.intent::numeric, 9), s.stage,
                                s.effective_stage, s.tier, s.first_purchase_at, s.purchase_days, s.first_day_amount),
                      '|' ORDER BY s.customer_id))
  FROM prio.customer_state s WHERE s.customer_id < 0 $$;

-- E1, E2: random writes
SELECT set_config('tev.writes',
    pg_temp.sqlstate_of($$INSERT INTO tev.deals (acc, referrer, stage, engaged_at, closed_at, value) SELECT * FROM pg_temp.random_deals(300)$$) ||
    pg_temp.sqlstate_of($$UPDATE tev.deals SET acc = 'acc' || (1 + (random() * 119)::int) WHERE random() < 0.1$$) ||
    pg_temp.sqlstate_of($$UPDATE tev.deals SET referrer = acc, acc = referrer WHERE random() < 0.1$$) ||
    pg_temp.sqlstate_of($$UPDATE tev.deals SET closed_at = engaged_at, stage = 'won' WHERE random() < 0.05$$) ||
    pg_temp.sqlstate_of($$DELETE FROM tev.deals WHERE random() < 0.05$$) ||
    pg_temp.sqlstate_of($$INSERT INTO tev.deals (acc, referrer, stage, engaged_at, closed_at, value) SELECT * FROM pg_temp.random_deals(1)$$), true);
SELECT is(current_setting('tev.writes'), repeat('00000', 6), 'E1 random writes of a table of several events a row all go through');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'tev.deals'::regclass), NULL,
          'E1 no change of it failed on prio''s side (prio.tracked.last_error)');
CREATE TEMP TABLE live AS SELECT pg_temp.state_print() AS p;
SELECT is(prio.recompute(), 0, 'E2 live facts of a table of several events a row equal recompute()''s');
SELECT is(pg_temp.state_print(), (SELECT p FROM live), 'E2 live state (facts, stage, tier) equals recompute()''s');
CREATE FUNCTION pg_temp.active() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s m JOIN prio.customer_state s USING (customer_id) WHERE s.last_at IS NOT NULL',
                   (SELECT t.key_map FROM prio.tracked t WHERE t.source = 'tev.acc'::regclass)) INTO v;
    RETURN v;
END $$;
SELECT cmp_ok(pg_temp.active(), '>', 110::bigint, 'E2 the rows'' events are folded into their customers');

-- E4: unmapped kinds, per event
SELECT is((SELECT array_agg(concat_ws(':', kind, rows) ORDER BY kind NULLS FIRST) FROM prio.unmapped_kinds WHERE source = 'tev.deals'::regclass),
          (SELECT array_agg(concat_ws(':', k, n) ORDER BY k NULLS FIRST)
             FROM (SELECT CASE stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' WHEN 'odd' THEN 'no_such_kind' END AS k, count(*) AS n
                     FROM tev.deals GROUP BY 1) x
            WHERE k IS NULL OR k NOT IN (SELECT kind FROM prio.activity_kinds)),
          'E4 prio.unmapped_kinds counts the events of each kind prio does not know');

-- E5: TRUNCATE, then the same rows in one statement
CREATE TEMP TABLE deals_copy AS SELECT * FROM tev.deals;
TRUNCATE tev.deals;
INSERT INTO tev.deals SELECT * FROM deals_copy;
SELECT is(pg_temp.state_print(), (SELECT p FROM live), 'E5 TRUNCATE, then the same rows again, gives the same state');

-- E3: the same events, one a row, tracked with the single mapping
SELECT prio.untrack('tev.deals');
CREATE TABLE tev.events (acc text, kind text, at timestamptz, amount numeric);
CREATE INDEX ON tev.events (acc);
INSERT INTO tev.events
SELECT x.acc, x.kind, x.at, x.amount
  FROM tev.deals d
 CROSS JOIN LATERAL (VALUES (d.acc, 'meeting', d.engaged_at, NULL::numeric),
                            (d.acc, CASE d.stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' WHEN 'odd' THEN 'no_such_kind' END,
                             d.closed_at, d.value),
                            (d.referrer, 'reply', d.engaged_at, NULL)) x(acc, kind, at, amount);
SELECT prio.track('tev.events', 'activities', '{"customer": "acc", "kind": "kind", "at": "at", "amount": "amount"}');
SELECT is(pg_temp.state_print(), (SELECT p FROM live),
          'E3 several events a row give the state of the same events one a row');
SELECT is(prio.recompute(), 0, 'E3 ... and recompute() agrees');
SELECT prio.untrack('tev.events');
SELECT prio.untrack('tev.acc');

SELECT * FROM finish();
ROLLBACK;
