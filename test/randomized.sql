-- pgTAP: deterministic randomized property test of the live engine.
-- setseed() fixes the random stream.  50 customers with random BANT answers get
-- random activities of random kinds in INSERT statements of 1..20 rows, at random
-- times on a moving clock, with backfills, ties at the same time and a few rows
-- dated up to 21 hours ahead; in between, random UPDATEs and DELETEs of
-- activities and BANT updates.  After every statement, prio.recompute() must
-- change nothing and the touched customers' base stage must equal a fold of
-- the spec.  After each of three rounds:
--   * prio.recompute() = 0 (no stored facts to fix), and a snapshot of
--     prio.customer_state taken before it (without updated_at) equals the state
--     after it (so the evaluated columns were right too);
--   * the facts equal plain SQL over the activities (frequency, monetary, first,
--     last, last inbound/outbound/purchase);
--   * base and effective stage, intent, tier and next_due_at equal an
--     independent implementation of the rules in SQL/plpgsql;
--   * priorities order the tiers; tier_history chains up to the current state;
--   * prio.refresh() has nothing left to change.
-- Round 2 also changes settings and an activity kind in the middle; round 3 uses
-- automatic (quintile) RFM breaks instead of fixed ones.
-- Users' own triggers run beside prio's (issue 17): on prio.activities and
-- prio.customers, row and statement level, named before and after prio's,
-- they update, delete and insert rows of both tables while prio's triggers
-- fire; each round enables a random subset of them.  New customers (spam
-- sign-ups among them, which a trigger deletes) arrive now and then.  Between
-- the rounds a DBA runs DDL: columns added to and dropped from activities and
-- customers, indexes on prio's tables, a CHECK NOT VALID (later validated),
-- fillfactor, ANALYZE and CLUSTER; the live state still equals a rebuild
-- after it, and the next round runs on the altered tables.
BEGIN;
SELECT plan(54);

-- start from an empty engine (inside this transaction only)
DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;
-- the activity_ids from a fixed start (an app trigger below keys on their
-- parity): the data must not depend on what earlier tests drew from the
-- sequence.  Transactional, like the rest of this file.
ALTER TABLE prio.activities ALTER COLUMN activity_id RESTART WITH 1000000;
UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       intent_half_life = DEFAULT, silent_after = DEFAULT, dormant_after = DEFAULT,
       no_reply_after = DEFAULT, cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT,
       cadence_d = DEFAULT, value_score = DEFAULT, bant_threshold = DEFAULT,
       intent_threshold = DEFAULT, weight_tier = DEFAULT, weight_rfm = DEFAULT,
       weight_bant = DEFAULT, weight_intent = DEFAULT, weight_stage = DEFAULT;

DO $$ BEGIN PERFORM setseed(0.20241123); END $$;

-- (0.5) key-customer types at thresholds the random data reaches, so types
-- come and go with purchases, inbound touches, time and the customers that
-- name one another as parent company (BANT updates below)
UPDATE prio.customer_types SET condition = '{"fact": "purchases_12m", ">=": 6000}' WHERE type = 'strategic';
UPDATE prio.customer_types SET condition = '{"fact": "interactions_per_month", ">=": 0.75}' WHERE type = 'active';
UPDATE prio.customer_types SET condition = '{"fact": "related_customers", ">=": 1}' WHERE type = 'key_relationship';
UPDATE prio.customer_types
   SET condition = '{"all": [{"fact": "purchases_12m", ">": 0}, {"attr": "funded", "=": true}]}'
 WHERE type = 'high_growth';

-- random TRUE / FALSE / NULL
CREATE FUNCTION pg_temp.rbool() RETURNS boolean LANGUAGE sql VOLATILE AS
$$ SELECT (ARRAY[true, false, NULL])[1 + floor(random() * 3)::int] $$;

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at)
SELECT 1000 + g, 'random ' || g, 'rep' || (g % 3), pg_temp.rbool(), pg_temp.rbool(), pg_temp.rbool(),
       pg_temp.rbool(), now() - floor(random() * 240) * interval '6 hours'
  FROM generate_series(1, 50) g;

-- what the random data contained, to check it exercised the interesting paths
CREATE TEMP TABLE stats (what text, n bigint);

------------------------------------------------------------------------
-- users' own triggers (each notes in stats that it fired)
------------------------------------------------------------------------
-- activities, row, some rows: a DBA rounds the time to the hour (UPDATE of a new row)
CREATE FUNCTION pg_temp.app_round() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_round', 1);
    UPDATE prio.activities SET at = date_trunc('hour', at)
     WHERE activity_id = NEW.activity_id AND at <> date_trunc('hour', at);
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_round AFTER INSERT ON prio.activities FOR EACH ROW
    WHEN (NEW.activity_id % 3 = 0) EXECUTE FUNCTION pg_temp.app_round();
-- activities, statement, named before prio's: exact duplicates and half the
-- e-mail opens are dropped (DELETE of new rows)
CREATE FUNCTION pg_temp.app_dedup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_dedup', 1);
    DELETE FROM prio.activities a USING new_rows n
     WHERE a.activity_id = n.activity_id
       AND ((a.kind = 'email_open' AND a.activity_id % 2 = 0)
            OR EXISTS (SELECT 1 FROM prio.activities o
                        WHERE o.customer_id = a.customer_id AND o.kind = a.kind AND o.at = a.at
                          AND o.activity_id < a.activity_id));
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_dedup AFTER INSERT ON prio.activities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.app_dedup();
-- activities, statement, named before prio's: customer 1010 was merged into
-- 1009 (UPDATE of the customer of new rows)
CREATE FUNCTION pg_temp.app_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_merge', 1);
    UPDATE prio.activities a SET customer_id = 1009 FROM new_rows n
     WHERE a.activity_id = n.activity_id AND a.customer_id = 1010;
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_merge AFTER INSERT ON prio.activities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.app_merge();
-- activities, row: a rejection clears the customer's budget (UPDATE of prio.customers)
CREATE FUNCTION pg_temp.app_reject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_reject', 1);
    UPDATE prio.customers SET budget = false
     WHERE customer_id = NEW.customer_id AND budget IS DISTINCT FROM false;
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_reject AFTER INSERT ON prio.activities FOR EACH ROW
    WHEN (NEW.kind = 'rejected') EXECUTE FUNCTION pg_temp.app_reject();
-- activities, row: an inquiry gets an automatic e-mail an hour later (INSERT)
CREATE FUNCTION pg_temp.app_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger z_app_follow', 1);
    INSERT INTO prio.activities (customer_id, kind, at, note)
    VALUES (NEW.customer_id, 'email', least(NEW.at + interval '1 hour', now()), 'auto');
    RETURN NULL;
END $$;
CREATE TRIGGER z_app_follow AFTER INSERT ON prio.activities FOR EACH ROW
    WHEN (NEW.kind = 'inquiry' AND NEW.note IS NULL) EXECUTE FUNCTION pg_temp.app_follow();
-- activities, statement, named after prio's: whole amounts only (UPDATE of new rows)
CREATE FUNCTION pg_temp.app_amount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger z_app_amount', 1);
    UPDATE prio.activities a SET amount = round(a.amount) FROM new_rows n
     WHERE a.activity_id = n.activity_id AND a.amount <> round(a.amount);
    RETURN NULL;
END $$;
CREATE TRIGGER z_app_amount AFTER INSERT ON prio.activities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.app_amount();
-- customers, row: a welcome e-mail for each new customer (INSERT of an activity)
CREATE FUNCTION pg_temp.app_welcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_welcome', 1);
    INSERT INTO prio.activities (customer_id, kind, note) VALUES (NEW.customer_id, 'email', 'welcome');
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_welcome AFTER INSERT ON prio.customers FOR EACH ROW
    EXECUTE FUNCTION pg_temp.app_welcome();
-- customers, statement: spam sign-ups are removed, activities first (DELETE)
CREATE FUNCTION pg_temp.app_spam() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger a_app_spam', 1);
    DELETE FROM prio.activities a USING new_rows n WHERE a.customer_id = n.customer_id AND n.name = 'spam';
    DELETE FROM prio.customers c USING new_rows n WHERE c.customer_id = n.customer_id AND n.name = 'spam';
    RETURN NULL;
END $$;
CREATE TRIGGER a_app_spam AFTER INSERT ON prio.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.app_spam();
-- customers, row: a budget implies a need (UPDATE of the same row)
CREATE FUNCTION pg_temp.app_need() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats VALUES ('trigger z_app_need', 1);
    UPDATE prio.customers SET need = true WHERE customer_id = NEW.customer_id;
    RETURN NULL;
END $$;
CREATE TRIGGER z_app_need AFTER UPDATE ON prio.customers FOR EACH ROW
    WHEN (NEW.budget AND NEW.need IS DISTINCT FROM true) EXECUTE FUNCTION pg_temp.app_need();

-- a random subset of the users' triggers for round r (1..3): each one is in
-- at least one round's
CREATE FUNCTION pg_temp.app_triggers_random(r int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgrelid::regclass AS rel, tgname, row_number() OVER (ORDER BY tgname) AS i
               FROM pg_trigger
              WHERE tgrelid IN ('prio.activities'::regclass, 'prio.customers'::regclass)
                AND tgname LIKE '%app%' ORDER BY tgname LOOP
        EXECUTE format('ALTER TABLE %s %s TRIGGER %I', t.rel,
                       CASE WHEN random() < 0.5 OR t.i % 3 = r % 3 THEN 'ENABLE' ELSE 'DISABLE' END, t.tgname);
    END LOOP;
END $$;

-- the state columns prio.recompute() must leave unchanged (all but updated_at)
CREATE TEMP VIEW state_v AS
SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency,
       monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply,
       value_high, intent_high, tier, priority, next_due_at, rule,
       month_purchases, month_inbound, types, playbook
  FROM prio.customer_state;
CREATE TEMP TABLE snap AS SELECT * FROM state_v WHERE false;

-- after every statement: the live state must already equal a rebuild (recompute
-- fixes no stored facts and changes no state row), and the touched customers'
-- base stage must equal the spec fold; any difference is counted in stats
CREATE FUNCTION pg_temp.after(op text, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int;
    d bigint;
BEGIN
    DELETE FROM snap;
    INSERT INTO snap SELECT * FROM state_v;
    n := prio.recompute();
    IF n <> 0 THEN
        INSERT INTO stats VALUES ('mismatch: facts fixed by recompute after ' || op, n);
    END IF;
    SELECT count(*) INTO d FROM (SELECT * FROM snap EXCEPT SELECT * FROM state_v) x;
    IF d <> 0 THEN
        INSERT INTO stats VALUES ('mismatch: state rows changed by recompute after ' || op, d);
    END IF;
    INSERT INTO stats
    SELECT 'mismatch: stage after ' || op, count(*) FROM prio.customer_state s
     WHERE s.customer_id = ANY (ids) AND s.stage IS DISTINCT FROM pg_temp.spec_stage(s.customer_id)
    HAVING count(*) > 0;
END
$$;

-- the live state against a rebuild, as after() checks it: 'facts fixed 0, rows changed 0'
CREATE FUNCTION pg_temp.rebuild_diff() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM snap;
    INSERT INTO snap SELECT * FROM state_v;
    n := prio.recompute();
    RETURN format('facts fixed %s, rows changed %s', n,
                  (SELECT count(*) FROM ((SELECT * FROM snap EXCEPT SELECT * FROM state_v)
                                         UNION ALL (SELECT * FROM state_v EXCEPT SELECT * FROM snap)) d));
END
$$;

------------------------------------------------------------------------
-- one round of random operations; the clock runs from clock_from to clock_to
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.random_round(batches int, customers int, clock_from timestamptz,
                                     clock_to timestamptz, config_change boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    kinds text[] := ARRAY(SELECT kind FROM prio.activity_kinds ORDER BY kind);
    -- odd customers never get a won kind, so open stages, silence and revival stay common
    open_kinds text[] := ARRAY(SELECT kind FROM prio.activity_kinds WHERE stage IS DISTINCT FROM 'won' ORDER BY kind);
    n int;
    base timestamptz;
    cnt bigint;
BEGIN
    FOR i IN 1..batches LOOP
        n := 1 + floor(random() * 20)::int;
        base := clock_from + (clock_to - clock_from) * (i::float8 / batches);
        CREATE TEMP TABLE batch ON COMMIT DROP AS
        SELECT x.customer_id, x.kind,
               CASE WHEN x.p < 0.03 THEN now() + floor(random() * 8) * interval '3 hours'      -- ahead (< 1 day)
                    WHEN x.p < 0.18 THEN base - floor(random() * 40) * interval '1 day'        -- backfill
                    ELSE least(base + floor(random() * 8) * interval '3 hours', now()) END AS at, -- on the clock (3 h grid: ties)
               CASE WHEN x.kind = 'purchase' THEN round((random() * 3000)::numeric, 2) ELSE 0 END AS amount
          FROM (SELECT y.customer_id, y.p,
                       CASE WHEN y.customer_id % 2 = 0 THEN kinds[1 + floor(y.k * array_length(kinds, 1))::int]
                            ELSE open_kinds[1 + floor(y.k * array_length(open_kinds, 1))::int] END AS kind
                  FROM (SELECT 1001 + floor(random() * customers)::bigint AS customer_id,
                               random() AS k, random() AS p
                          FROM generate_series(1, n)) y) x;
        -- classify: rows appended after the stored last_at, or folded again (backfill or tie)
        INSERT INTO stats
        SELECT CASE WHEN s.last_at IS NULL OR min(b.at) > s.last_at THEN 'append' ELSE 'refold' END, 1
          FROM batch b JOIN prio.customer_state s USING (customer_id) GROUP BY b.customer_id, s.last_at;
        INSERT INTO stats VALUES ('batch size ' || n, 1);
        INSERT INTO stats SELECT 'ahead', count(*) FROM batch WHERE at > now();
        INSERT INTO prio.activities (customer_id, kind, at, amount)
        SELECT customer_id, kind, at, amount FROM batch;
        PERFORM pg_temp.after('insert', ARRAY(SELECT customer_id FROM batch));
        DROP TABLE batch;

        -- now and then: change one activity (kind, time or customer)
        IF random() < 0.15 THEN
            SELECT count(*) INTO cnt FROM prio.activities;
            UPDATE prio.activities
               SET kind = CASE WHEN random() < 0.5 THEN kinds[1 + floor(random() * array_length(kinds, 1))::int] ELSE kind END,
                   at = CASE WHEN random() < 0.5 THEN at - floor(random() * 10) * interval '1 day' ELSE at END,
                   customer_id = CASE WHEN random() < 0.3 THEN 1001 + floor(random() * 50)::bigint ELSE customer_id END
             WHERE activity_id = (SELECT activity_id FROM prio.activities ORDER BY activity_id
                                   OFFSET floor(random() * cnt)::int LIMIT 1);
            PERFORM pg_temp.after('update', ARRAY(SELECT customer_id FROM prio.customers));
            INSERT INTO stats VALUES ('update', 1);
        END IF;
        -- now and then: delete one activity, or a few of one customer
        IF random() < 0.10 THEN
            SELECT count(*) INTO cnt FROM prio.activities;
            DELETE FROM prio.activities
             WHERE activity_id = (SELECT activity_id FROM prio.activities ORDER BY activity_id
                                   OFFSET floor(random() * cnt)::int LIMIT 1);
            PERFORM pg_temp.after('delete', ARRAY(SELECT customer_id FROM prio.customers));
            INSERT INTO stats VALUES ('delete', 1);
        ELSIF random() < 0.05 THEN
            DELETE FROM prio.activities
             WHERE activity_id IN (SELECT activity_id FROM prio.activities
                                    -- one draw (an InitPlan), not one a row scanned: how many
                                    -- rows a plan scans must not move the random stream
                                    WHERE customer_id = (SELECT 1001 + floor(random() * 50)::bigint)
                                    ORDER BY activity_id LIMIT 3);
            PERFORM pg_temp.after('delete', ARRAY(SELECT customer_id FROM prio.customers));
            INSERT INTO stats VALUES ('delete', 1);
        END IF;
        -- now and then: new BANT answers for one to three customers (one statement)
        IF random() < 0.15 THEN
            UPDATE prio.customers
               SET budget = pg_temp.rbool(), authority = pg_temp.rbool(),
                   need = pg_temp.rbool(), timeline = pg_temp.rbool(),
                   -- (0.5) attributes without random() (the stream stays as it was):
                   -- a parent company and funding that vary with the data
                   attributes = CASE WHEN (customer_id + i) % 3 = 0 THEN '{}'::jsonb
                                     ELSE jsonb_build_object('parent_company', (1001 + (customer_id * 7 + i) % 50)::text,
                                                             'funded', (customer_id + i) % 2 = 0) END
             WHERE customer_id IN (1001 + floor(random() * 50)::bigint, 1001 + floor(random() * 50)::bigint,
                                   1001 + floor(random() * 50)::bigint);
            PERFORM pg_temp.after('BANT update', '{}');
            INSERT INTO stats VALUES ('bant', 1);
        END IF;
        -- now and then: a new customer, or a spam sign-up (one statement)
        IF random() < 0.08 THEN
            INSERT INTO prio.customers (customer_id, name, budget)
            SELECT coalesce(max(customer_id), 1999) + 1, CASE WHEN random() < 0.3 THEN 'spam' ELSE 'new' END,
                   pg_temp.rbool()
              FROM prio.customers WHERE customer_id >= 2000;
            PERFORM pg_temp.after('customer insert', '{}');
            INSERT INTO stats VALUES ('new customer', 1);
        END IF;
        -- once, half-way: settings and an activity kind change under the live state
        IF config_change AND i = batches / 2 THEN
            UPDATE prio.settings SET intent_half_life = '10 days', no_reply_after = '2 days', silent_after = '20 days';
            PERFORM pg_temp.after('settings update', '{}');
            UPDATE prio.activity_kinds SET intent_weight = 1.5 WHERE kind = 'visit';
            PERFORM pg_temp.after('activity_kinds update', '{}');
            -- (0.5) a tier's playbook with a cadence of its own
            UPDATE prio.playbooks SET cadence = '3 days' WHERE playbook = 'B';
            PERFORM pg_temp.after('playbooks update', '{}');
        END IF;
    END LOOP;
END
$$;

------------------------------------------------------------------------
-- the rules, implemented again independently from the spec
------------------------------------------------------------------------
-- base stage, last inbound and intent now: walk the customer's activities in
-- (at, activity_id) order.  0.5 (issue 19): a lost customer and a kind that
-- does not revive (activity_kinds.revives): inbound, it is nothing but a
-- contact; outbound, our touch, the stage stays lost.  An inbound activity
-- of a kind with a positive weight answering our last outbound touch adds
-- reply_weight * 2^(-delay / reply_half_life) to its weight.
CREATE FUNCTION pg_temp.spec_walk(id bigint, OUT stage prio.stage, OUT li timestamptz, OUT intent float8)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    lo timestamptz;
    w float8;
    cfg prio.settings;
BEGIN
    SELECT * INTO cfg FROM prio.settings;
    stage := 'prospect';
    intent := 0;
    FOR r IN SELECT a.at, k.stage AS ks, k.direction = 'inbound' AS inbound, k.revives, k.intent_weight
               FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
              WHERE a.customer_id = id AND a.at <= now() ORDER BY a.at, a.activity_id LOOP
        w := r.intent_weight;
        IF stage = 'lost' AND NOT r.revives THEN
            IF r.inbound THEN CONTINUE; END IF;                     -- a contact, nothing more
        ELSIF r.inbound AND r.intent_weight > 0 AND lo IS NOT NULL AND (li IS NULL OR lo > li) THEN
            w := w + cfg.reply_weight * 2 ^ (-date_part('epoch', r.at - lo) / date_part('epoch', cfg.reply_half_life));
        END IF;
        IF r.inbound THEN li := r.at; ELSE lo := r.at; END IF;
        intent := intent + w * 2 ^ (-date_part('epoch', now() - r.at) / date_part('epoch', cfg.intent_half_life));
        IF stage = 'lost' AND NOT r.revives THEN CONTINUE; END IF;  -- stays lost
        IF r.ks = 'lost' THEN stage := 'lost';
        ELSIF r.ks = 'won' THEN stage := 'won';
        ELSIF stage = 'won' THEN NULL;                                   -- only lost moves won
        ELSIF stage = 'lost' THEN
            IF r.inbound THEN stage := greatest('interested'::prio.stage, coalesce(r.ks, 'interested')); END IF;
        ELSE
            IF r.ks > stage THEN stage := r.ks; END IF;                     -- forward only
            IF r.inbound AND stage < 'interested' THEN stage := 'interested'; END IF;
        END IF;
    END LOOP;
END
$$;
CREATE FUNCTION pg_temp.spec_stage(id bigint) RETURNS prio.stage LANGUAGE sql AS $$
    SELECT (pg_temp.spec_walk(id)).stage
$$;

-- everything else, as of now(), from plain SQL over the activities
CREATE FUNCTION pg_temp.spec() RETURNS TABLE (
    customer_id bigint, first_at timestamptz, last_at timestamptz, last_inbound_at timestamptz,
    last_outbound_at timestamptz, last_purchase_at timestamptz, frequency bigint, monetary numeric,
    has_ahead boolean, intent float8, stage prio.stage, effective_stage prio.stage, no_reply boolean,
    value_high boolean, intent_high boolean, tier text)
LANGUAGE sql AS $$
    WITH cfg AS (
        SELECT s.*, coalesce(s.r_breaks, b.r_breaks) AS rb, coalesce(s.f_breaks, b.f_breaks) AS fb,
               coalesce(s.m_breaks, b.m_breaks) AS mb
          FROM prio.settings s CROSS JOIN prio.auto_breaks b
    ), f AS (
        SELECT c.customer_id, c.budget, c.authority, c.created_at,
               prio.bant_count(c.budget, c.authority, c.need, c.timeline) AS bant,
               min(a.at) AS first_at, max(a.at) AS last_at,
               (pg_temp.spec_walk(c.customer_id)).li AS li,
               max(a.at) FILTER (WHERE k.direction = 'outbound') AS lo,
               max(a.at) FILTER (WHERE k.is_purchase) AS lp,
               count(a.*) FILTER (WHERE k.is_purchase) AS freq,
               coalesce(sum(a.amount) FILTER (WHERE k.is_purchase), 0) AS mon,
               EXISTS (SELECT 1 FROM prio.activities p WHERE p.customer_id = c.customer_id
                                                          AND p.at > now()) AS ahead,
               (pg_temp.spec_walk(c.customer_id)).intent AS intent
          FROM prio.customers c
          -- one dated ahead is a planned touch: not folded until due
          LEFT JOIN prio.activities a ON a.customer_id = c.customer_id AND a.at <= now()
          LEFT JOIN prio.activity_kinds k ON k.kind = a.kind
         CROSS JOIN cfg
         GROUP BY c.customer_id, cfg.intent_half_life
    ), e AS (
        SELECT f.*, pg_temp.spec_stage(f.customer_id) AS base,
               coalesce(f.li, f.first_at, f.created_at) AS since,
               prio.rfm_score(f.freq, cfg.fb) AS fs, prio.rfm_score(f.mon, cfg.mb) AS ms,
               (f.lo IS NOT NULL AND (f.li IS NULL OR f.lo > f.li)
                AND now() - f.lo > cfg.no_reply_after) AS noreply
          FROM f CROSS JOIN cfg
    ), g AS (
        SELECT e.*, CASE WHEN e.base <= 'closing' AND now() - e.since >= cfg.silent_after THEN 'silent'
                         WHEN e.base = 'won' AND now() - e.since >= cfg.dormant_after THEN 'silent'
                         ELSE e.base END::prio.stage AS eff,
               (coalesce(e.ms >= cfg.value_score, false) OR coalesce(e.fs >= cfg.value_score, false)
                OR coalesce(e.budget AND e.authority, false)
                -- (0.5) the key_type value signal: a held type that implies value
                -- (the types held are checked against their rules below)
                OR EXISTS (SELECT 1 FROM prio.customer_state s
                             JOIN prio.customer_types t ON t.type = ANY (s.types)
                            WHERE s.customer_id = e.customer_id AND t.implies_value
                              AND (SELECT v.enabled FROM prio.value_signals v WHERE v.signal = 'key_type'))) AS vh
          FROM e CROSS JOIN cfg
    ), h AS (
        SELECT g.*, (NOT g.noreply AND (g.bant >= cfg.bant_threshold OR g.eff IN ('engaged', 'closing')
                                        OR g.intent >= cfg.intent_threshold)) AS ih
          FROM g CROSS JOIN cfg
    )
    SELECT h.customer_id, h.first_at, h.last_at, h.li, h.lo, h.lp, h.freq, h.mon, h.ahead, h.intent,
           h.base, h.eff, h.noreply, h.vh, h.ih,
           CASE WHEN h.eff = 'lost' THEN 'D' WHEN h.vh AND h.ih THEN 'A' WHEN h.vh THEN 'B'
                WHEN h.ih THEN 'C' ELSE 'D' END
      FROM h
$$;

------------------------------------------------------------------------
-- the checks after each round (pgTAP functions return their TAP lines)
------------------------------------------------------------------------
CREATE TEMP TABLE sp AS SELECT * FROM pg_temp.spec() WHERE false;

CREATE FUNCTION pg_temp.check_round(r int, refresh_is_noop boolean) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    p text := 'round ' || r || ': ';
BEGIN
    -- what the rules should give, from the activities alone
    DELETE FROM sp;
    INSERT INTO sp SELECT * FROM pg_temp.spec();

    -- live state against a full rebuild
    DELETE FROM snap;
    INSERT INTO snap SELECT * FROM state_v;
    RETURN NEXT is(prio.recompute(), 0, p || 'prio.recompute() = 0 (no stored facts to fix)');
    RETURN NEXT is((SELECT count(*) FROM ((SELECT * FROM snap EXCEPT SELECT * FROM state_v)
                                         UNION ALL (SELECT * FROM state_v EXCEPT SELECT * FROM snap)) d),
                   0::bigint, p || 'snapshot of customer_state before recompute equals the state after it');

    -- facts against plain SQL
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     WHERE (s.frequency, s.monetary) IS DISTINCT FROM (x.frequency, x.monetary)),
                   0::bigint, p || 'frequency and monetary equal count and sum over purchases');
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     WHERE (s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at)
                           IS DISTINCT FROM (x.first_at, x.last_at, x.last_inbound_at, x.last_outbound_at, x.last_purchase_at)),
                   0::bigint, p || 'first/last/inbound/outbound/purchase times equal min/max over activities');
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s
                     WHERE s.next_planned_at IS DISTINCT FROM
                           (SELECT min(a.at) FROM prio.activities a
                             WHERE a.customer_id = s.customer_id AND a.at > now())),
                   0::bigint, p || 'next_planned_at is the earliest activity dated ahead (a planned touch, not folded)');

    -- rules against the independent implementation
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     WHERE s.stage IS DISTINCT FROM x.stage),
                   0::bigint, p || 'base stage equals the spec fold');
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     WHERE s.effective_stage IS DISTINCT FROM x.effective_stage OR s.no_reply IS DISTINCT FROM x.no_reply
                        OR s.value_high IS DISTINCT FROM x.value_high),
                   0::bigint, p || 'effective stage, no_reply and value_high equal the spec');
    -- intent and the intent-based tier: customers without activities dated ahead of now
    -- (those are covered by a dedicated test in tiers.sql)
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     JOIN prio.settings cfg ON true
                     WHERE NOT x.has_ahead
                       AND abs(prio.decayed(s.intent, s.intent_at, cfg.intent_half_life, now()) - x.intent)
                           > 1e-9 * greatest(1, x.intent)),
                   0::bigint, p || 'intent decayed to now equals the spec walk over the activities (kind weights, reply terms)');
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN sp x USING (customer_id)
                     WHERE NOT x.has_ahead AND abs(x.intent - 3) > 1e-6
                       AND (s.tier, s.intent_high) IS DISTINCT FROM (x.tier, x.intent_high)),
                   0::bigint, p || 'tier and intent_high equal the spec');
    RETURN NEXT is((SELECT count(*) FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                     JOIN prio.settings cfg ON true
                     WHERE s.next_due_at IS DISTINCT FROM coalesce(s.last_outbound_at, s.first_at, c.created_at)
                           + CASE WHEN s.effective_stage = 'silent' THEN cfg.silent_cadence
                                  WHEN s.effective_stage = 'lost' THEN cfg.lost_cadence
                                  ELSE (SELECT min(coalesce(pb.cadence,
                                                   CASE pb.playbook WHEN 'A' THEN cfg.cadence_a WHEN 'B' THEN cfg.cadence_b
                                                                    WHEN 'C' THEN cfg.cadence_c ELSE cfg.cadence_d END))
                                          FROM prio.playbooks pb
                                         WHERE pb.enabled AND (pb.playbook = s.tier OR pb.playbook = ANY (s.types))) END
                        OR s.playbook IS DISTINCT FROM (SELECT f.playbook FROM prio.playbooks_for(s.tier, s.types) f
                                                         WHERE f.chosen)),
                   0::bigint, p || 'next_due_at = last outbound (else first activity, else created_at) + the shortest cadence of the playbooks of its tier (else the settings'') and of its key-customer types (silent and lost: their re-activation cadence), that playbook stored');

    -- priority orders the tiers
    RETURN NEXT ok((SELECT bool_and(priority BETWEEN 0 AND 100) FROM prio.customer_state)
                   AND coalesce((SELECT min(priority) FROM prio.customer_state WHERE tier = 'A')
                                > (SELECT max(priority) FROM prio.customer_state WHERE tier IN ('B', 'C')), true)
                   AND coalesce((SELECT min(priority) FROM prio.customer_state WHERE tier IN ('B', 'C'))
                                > (SELECT max(priority) FROM prio.customer_state WHERE tier = 'D'), true),
                   p || 'priorities in [0,100], every A > every B/C > every D');

    -- history: each row continues the previous one and the last one is the current state
    RETURN NEXT is((SELECT count(*) FROM (
                      SELECT h.customer_id, h.old_tier, h.old_stage, h.new_tier, h.new_stage,
                             lag(h.new_tier) OVER w AS prev_tier, lag(h.new_stage) OVER w AS prev_stage,
                             lead(h.history_id) OVER w AS next_id
                        FROM prio.tier_history h
                      WINDOW w AS (PARTITION BY h.customer_id ORDER BY h.history_id)) x
                     LEFT JOIN prio.customer_state s USING (customer_id)
                     WHERE (x.old_tier, x.old_stage) IS DISTINCT FROM (x.prev_tier, x.prev_stage)
                        OR (x.old_tier, x.old_stage) IS NOT DISTINCT FROM (x.new_tier, x.new_stage)
                        OR (x.next_id IS NULL AND (x.new_tier, x.new_stage) IS DISTINCT FROM (s.tier, s.effective_stage))),
                   0::bigint, p || 'tier_history: each row starts where the last ended, changes something, ends at the state');

    -- nothing is left for refresh
    IF refresh_is_noop THEN
        RETURN NEXT is(prio.refresh(), 0, p || 'prio.refresh() finds nothing to change');
    ELSE
        -- automatic breaks move with the data: refresh applies them, then all is consistent
        PERFORM prio.refresh();
        RETURN NEXT is(prio.recompute(), 0, p || 'after prio.refresh() (new automatic breaks) recompute() = 0');
    END IF;
END
$$;

------------------------------------------------------------------------
-- a DBA's DDL between the rounds (prio's tables, inside this transaction)
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.dba_ddl(step int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF step = 1 THEN
        ALTER TABLE prio.activities ADD COLUMN source text;
        ALTER TABLE prio.customers ADD COLUMN region text;
        CREATE INDEX app_activities_kind_at ON prio.activities (kind, at);
        CREATE INDEX app_state_tier ON prio.customer_state (tier, priority);
        CREATE INDEX app_customers_region ON prio.customers (region);
        ALTER TABLE prio.activities ADD CONSTRAINT app_amount_small CHECK (amount < 1e9) NOT VALID;
        ALTER TABLE prio.customer_state SET (fillfactor = 70);
        ALTER TABLE prio.activities SET (fillfactor = 90);
        ANALYZE prio.activities;
        ANALYZE prio.customers;
        ANALYZE prio.customer_state;
        CLUSTER prio.activities USING activities_customer_at_idx;
    ELSE
        ALTER TABLE prio.activities DROP COLUMN source;
        ALTER TABLE prio.customers DROP COLUMN region;
        ALTER TABLE prio.activities ADD COLUMN app_channel text;  -- (0.5 has a channel column of its own)
        DROP INDEX prio.app_activities_kind_at;
        DROP INDEX prio.app_state_tier;
        ALTER TABLE prio.activities VALIDATE CONSTRAINT app_amount_small;
        ALTER TABLE prio.customer_state RESET (fillfactor);
        CLUSTER prio.customer_state USING customer_state_pkey;
        CLUSTER prio.customers USING customers_pkey;
        ANALYZE prio.customer_state;
    END IF;
END $$;

------------------------------------------------------------------------
-- the rounds
------------------------------------------------------------------------
DO $$ BEGIN PERFORM pg_temp.app_triggers_random(1);
            PERFORM pg_temp.random_round(40, 50, now() - interval '150 days', now() - interval '100 days', false); END $$;
SELECT * FROM pg_temp.check_round(1, true);

DO $$ BEGIN PERFORM pg_temp.dba_ddl(1); END $$;
SELECT is(pg_temp.rebuild_diff(), 'facts fixed 0, rows changed 0',
          'after a DBA''s DDL (columns and indexes added, CHECK NOT VALID, fillfactor, ANALYZE, CLUSTER): live state equals a rebuild');
INSERT INTO prio.customers (customer_id, name, budget, authority, created_at)
VALUES (1051, 'late arrival', true, true, now() - interval '10 days');
DO $$ BEGIN PERFORM pg_temp.app_triggers_random(2);
            PERFORM pg_temp.random_round(40, 40, now() - interval '100 days', now() - interval '20 days', true); END $$;
SELECT * FROM pg_temp.check_round(2, true);

DO $$ BEGIN PERFORM pg_temp.dba_ddl(2); END $$;
SELECT is(pg_temp.rebuild_diff(), 'facts fixed 0, rows changed 0',
          'after a DBA''s DDL (columns and indexes dropped, a column added, CHECK validated, CLUSTER): live state equals a rebuild');
UPDATE prio.settings SET r_breaks = NULL, f_breaks = NULL, m_breaks = NULL;
DO $$ BEGIN PERFORM prio.refresh(); PERFORM pg_temp.app_triggers_random(3);
            PERFORM pg_temp.random_round(40, 40, now() - interval '20 days', now(), false); END $$;
SELECT * FROM pg_temp.check_round(3, false);

-- after every single statement of every round
SELECT is((SELECT string_agg(what || ' x' || n, ', ') FROM stats WHERE what LIKE 'mismatch:%'), NULL,
          'every statement: live state equals a rebuild and base stages equal the spec fold');

-- (0.5) the stored key-customer types are the ones evaluated now
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE s.types IS DISTINCT FROM
                  ARRAY(SELECT jsonb_array_elements_text(prio.type_facts(s.customer_id, now()) -> 'held'))),
          0::bigint, 'types: every customer''s stored types equal its types evaluated now');
SELECT ok((SELECT count(DISTINCT t) >= 4 FROM prio.customer_state, unnest(types) t),
          'data: customers held at least four of the key-customer types');

-- the random data really went through the interesting paths
SELECT cmp_ok((SELECT count(*) FROM prio.activities), '>', 600::bigint, 'data: many activities');
SELECT cmp_ok((SELECT sum(n) FROM stats WHERE what = 'append'), '>', 50::numeric, 'data: many appends after the stored last activity');
SELECT cmp_ok((SELECT sum(n) FROM stats WHERE what = 'refold'), '>', 50::numeric, 'data: many backfills or ties (refolds)');
-- (how many ties the seeded data makes moves with the time of day the test runs: 9 to 12 seen)
SELECT cmp_ok((SELECT count(*) FROM (SELECT 1 FROM prio.activities GROUP BY customer_id, at HAVING count(*) > 1) t),
              '>', 5::bigint, 'data: activities of one customer tied at the same time');
SELECT ok((SELECT sum(n) FROM stats WHERE what = 'ahead') > 0 AND (SELECT sum(n) FROM stats WHERE what = 'update') > 5
          AND (SELECT sum(n) FROM stats WHERE what = 'delete') > 5 AND (SELECT sum(n) FROM stats WHERE what = 'bant') > 5,
          'data: rows dated ahead, updates, deletes and BANT changes all happened');
SELECT ok(EXISTS (SELECT 1 FROM stats WHERE what = 'batch size 1') AND EXISTS (SELECT 1 FROM stats WHERE what = 'batch size 20'),
          'data: batch sizes from 1 to 20 rows');
SELECT ok((SELECT count(DISTINCT tier || effective_stage) >= 8 AND count(DISTINCT tier) = 4
                   AND bool_or(effective_stage = 'silent') AND bool_or(effective_stage = 'lost')
              FROM prio.customer_state),
          'data: customers spread over all tiers and many stages, silent and lost included');
SELECT ok((SELECT count(*) FILTER (WHERE r_score IS NOT NULL) > 0 FROM prio.customer_state),
          'data: automatic breaks scored the customers in round 3');
SELECT is((SELECT string_agg(t, ', ' ORDER BY t) FROM
            (SELECT tgname::text FROM pg_trigger
              WHERE tgrelid IN ('prio.activities'::regclass, 'prio.customers'::regclass) AND tgname LIKE '%app%'
             EXCEPT SELECT substr(what, 9) FROM stats WHERE what LIKE 'trigger %') m(t)), NULL,
          'data: every user trigger (updating, deleting, inserting rows) fired in some round');
SELECT ok((SELECT sum(n) FROM stats WHERE what = 'new customer') >= 3
          AND (SELECT count(*) FROM prio.customers WHERE customer_id >= 2000) > 0,
          'data: new customers arrived, some of them kept');

SELECT * FROM finish();
ROLLBACK;
