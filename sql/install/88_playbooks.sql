------------------------------------------------------------------------
-- Playbooks (0.5): how each tier and each key-customer type is followed up
-- -- cadence, channels, roles, automation and the typical action.  The
-- playbook that applies with the shortest cadence sets a customer's next
-- due date (src/rules/playbook.c); customer_state.playbook names it.
------------------------------------------------------------------------

CREATE TABLE @extschema@.channels (
    channel text PRIMARY KEY CHECK (channel ~ '^[a-z][a-z0-9_]{0,49}$'),
    builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.channels IS
'The channels a playbook may name (prio.playbooks.channels): phone, visit, wechat, email, sms, community; add your own with INSERT.  A channel a playbook names cannot be removed or renamed.';
COMMENT ON COLUMN @extschema@.channels.channel IS 'The channel''s code: lower-case letters, digits and _, at most 50 characters.';
COMMENT ON COLUMN @extschema@.channels.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.channels (channel, builtin) VALUES
    ('phone', true), ('visit', true), ('wechat', true), ('email', true), ('sms', true),
    ('community', true);

CREATE TRIGGER channels_guard
    BEFORE INSERT OR UPDATE ON @extschema@.channels
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('channel');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.channels', 'WHERE NOT builtin');

CREATE TABLE @extschema@.playbooks (
    playbook  text PRIMARY KEY CHECK (playbook ~ '^([A-D]|[a-z][a-z0-9_]{0,99})$'),
    cadence   interval CHECK (cadence IS NULL OR (cadence > interval '0' AND cadence < interval '100 years')),
    channels  text[] NOT NULL CHECK (pg_catalog.array_ndims(channels) = 1
                                     AND pg_catalog.array_position(channels, NULL) IS NULL),
    roles     text[] NOT NULL CHECK (pg_catalog.array_ndims(roles) = 1
                                     AND pg_catalog.array_position(roles, NULL) IS NULL
                                     AND roles <@ '{sales_manager,tech_support,rep,automation}'::text[]),
    automated boolean NOT NULL DEFAULT false,
    action    text NOT NULL CHECK (pg_catalog.length(action) BETWEEN 1 AND 1000),
    enabled   boolean NOT NULL DEFAULT true,
    builtin   boolean NOT NULL DEFAULT false,
    -- a type's playbook has a cadence of its own; a tier's may follow settings
    CONSTRAINT playbooks_type_cadence_check CHECK (cadence IS NOT NULL OR playbook IN ('A', 'B', 'C', 'D')),
    -- every tier keeps its playbook
    CONSTRAINT playbooks_tier_enabled_check CHECK (enabled OR playbook NOT IN ('A', 'B', 'C', 'D'))
);
COMMENT ON TABLE @extschema@.playbooks IS
'How customers are followed up: one playbook per tier (A, B, C, D) and per key-customer type.  A customer follows its tier''s playbook and those of the types it holds; where several apply the most demanding (shortest cadence) wins, sets next_due_at and is named in customer_state.playbook and prio.followup (ties: a type''s before the tier''s, then by name).  Change with UPDATE, add types'' playbooks with INSERT; a change re-tiers everyone in the same transaction.';
COMMENT ON COLUMN @extschema@.playbooks.playbook IS 'A, B, C or D: the tier''s playbook; otherwise the code of the key-customer type it is for (strategic, high_growth, industry_influence, active, key_relationship, or one of yours): a row of prio.customer_types (23503 otherwise), which cannot be removed or renamed while it has a playbook.';
COMMENT ON COLUMN @extschema@.playbooks.cadence IS 'Follow-up cadence: next due = last outbound touch + this.  NULL (tiers only): the tier''s cadence in prio.settings (cadence_a .. cadence_d).';
COMMENT ON COLUMN @extschema@.playbooks.channels IS 'Channels, first the one to use next (prio.followup.next_action); each a row of prio.channels, no repeats.';
COMMENT ON COLUMN @extschema@.playbooks.roles IS 'Who follows up: sales_manager, tech_support, rep, automation (at least one).';
COMMENT ON COLUMN @extschema@.playbooks.automated IS 'Run by automation (campaigns, pushes) rather than by a person.';
COMMENT ON COLUMN @extschema@.playbooks.action IS 'The typical action.';
COMMENT ON COLUMN @extschema@.playbooks.enabled IS 'False: the playbook applies to nobody (a type''s only: every tier keeps its playbook).';
COMMENT ON COLUMN @extschema@.playbooks.builtin IS 'True while the row is as prio shipped it; set false by any change.';

-- From the source documents: high priority (A) every 1-3 days by phone,
-- visit and WeChat, a sales manager with technical support, a tailored
-- proposal and offers; medium (B, C) every 3-7 days by phone, email and
-- community, a rep, the standard introduction; low (D) every 7 days or
-- more, email and SMS automation, content and wake-up pushes.  The tiers'
-- cadences stay in prio.settings (2, 5, 5, 14 days).  The types' cadences
-- are prio's choice: the documents give their treatment, not a rhythm.
INSERT INTO @extschema@.playbooks (playbook, cadence, channels, roles, automated, action, builtin) VALUES
    ('A', NULL, '{phone,visit,wechat}', '{sales_manager,tech_support}', false,
     'tailored proposal and offers', true),
    ('B', NULL, '{phone,email,community}', '{rep}', false, 'standard introduction', true),
    ('C', NULL, '{phone,email,community}', '{rep}', false, 'standard introduction', true),
    ('D', NULL, '{email,sms}', '{automation}', true, 'content and wake-up pushes', true),
    ('strategic', '3 days', '{visit,phone,wechat}', '{sales_manager,tech_support}', false,
     'cross-department team, executive relationship, tailored solutions', true),
    ('high_growth', '2 days', '{phone,wechat,visit}', '{sales_manager,tech_support}', false,
     'fast response, incubation resources, grow together', true),
    ('industry_influence', '7 days', '{visit,phone,community}', '{sales_manager}', false,
     'benchmark delivery, case promotion', true),
    ('active', '7 days', '{phone,wechat,email}', '{rep}', false,
     'repurchase reminders, experience feedback, loyalty incentives', true),
    ('key_relationship', '5 days', '{visit,wechat,phone}', '{sales_manager}', false,
     'executive trust, resource exchange, joint projects', true);

CREATE FUNCTION @extschema@.playbooks_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad text;
BEGIN
    IF pg_catalog.array_ndims(NEW.channels) OPERATOR(pg_catalog.>) 1
       OR pg_catalog.array_ndims(NEW.roles) OPERATOR(pg_catalog.>) 1 THEN
        RAISE EXCEPTION 'playbook %: channels and roles must be one-dimensional arrays', NEW.playbook
            USING ERRCODE = '23514';
    END IF;
    IF pg_catalog.array_position(NEW.channels, NULL) IS NOT NULL
       OR pg_catalog.array_position(NEW.roles, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'playbook %: channels and roles must not contain NULL', NEW.playbook
            USING ERRCODE = '23514';
    END IF;
    IF pg_catalog.cardinality(NEW.channels) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'playbook % must name at least one channel', NEW.playbook
            USING ERRCODE = '23514';
    END IF;
    IF pg_catalog.cardinality(NEW.roles) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'playbook % must name at least one role', NEW.playbook
            USING ERRCODE = '23514', HINT = 'Roles: sales_manager, tech_support, rep, automation.';
    END IF;
    -- each channel's row locked FOR KEY SHARE, as the type's below (a
    -- channel removed or renamed at the same time: channels_in_use())
    SELECT pg_catalog.string_agg(c.ch, ', ') INTO v_bad
      FROM pg_catalog.unnest(NEW.channels) c(ch)
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.channels k WHERE k.channel OPERATOR(pg_catalog.=) c.ch
                       FOR KEY SHARE OF k);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'playbook %: channel % is not in prio.channels', NEW.playbook, v_bad
            USING ERRCODE = '23514', HINT = 'Add a channel with INSERT INTO prio.channels (channel) VALUES (...).';
    END IF;
    IF (SELECT pg_catalog.count(DISTINCT c.ch) FROM pg_catalog.unnest(NEW.channels) c(ch))
       OPERATOR(pg_catalog.<>) pg_catalog.cardinality(NEW.channels)
       OR (SELECT pg_catalog.count(DISTINCT r.ro) FROM pg_catalog.unnest(NEW.roles) r(ro))
       OPERATOR(pg_catalog.<>) pg_catalog.cardinality(NEW.roles) THEN
        RAISE EXCEPTION 'playbook % names a channel or a role twice', NEW.playbook
            USING ERRCODE = '23514';
    END IF;
    -- a type's playbook is for a type of prio.customer_types (enabled or
    -- not): a misspelt name would be a playbook nobody can ever follow (a
    -- name of no type's form is the CHECK constraint's to refuse).  The
    -- type's row is locked FOR KEY SHARE, as a foreign key's check locks
    -- it: a transaction removing or renaming the type at the same time
    -- either waits for this one and then sees its playbook
    -- (_customer_types_in_use), or commits first and this lock finds no row
    IF NEW.playbook OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,99}$'
       AND NOT EXISTS (SELECT 1 FROM @extschema@.customer_types t
                        WHERE t.type OPERATOR(pg_catalog.=) NEW.playbook
                        FOR KEY SHARE OF t) THEN
        RAISE EXCEPTION 'playbook %: there is no key-customer type %', NEW.playbook, NEW.playbook
            USING ERRCODE = '23503',
                  HINT = 'A playbook is for a tier (A, B, C, D) or a row of prio.customer_types: add the type first.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.playbooks_check() IS
'Row trigger on prio.playbooks: at least one channel and one role, no NULL, each channel a row of prio.channels, none twice (23514); a playbook other than a tier''s is for a row of prio.customer_types (23503).';

CREATE FUNCTION @extschema@.playbooks_keep()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        RAISE EXCEPTION 'prio.playbooks must keep its rows' USING ERRCODE = '23514',
            HINT = 'Remove the playbooks you added with DELETE; turn a shipped one off with UPDATE prio.playbooks SET enabled = false.';
    END IF;
    -- a rename removes the playbook under its name as a DELETE does (tier A
    -- left without one), and a restore would seed it again beside the new name
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.playbook OPERATOR(pg_catalog.=) OLD.playbook THEN
        RETURN NEW;
    END IF;
    IF OLD.playbook OPERATOR(pg_catalog.=) ANY ('{A,B,C,D,strategic,high_growth,industry_influence,active,key_relationship}'::text[]) THEN
        RAISE EXCEPTION 'playbook % is shipped with prio and cannot be %', OLD.playbook,
                        CASE TG_OP WHEN 'UPDATE' THEN 'renamed' ELSE 'removed' END
            USING ERRCODE = '23514',
                  HINT = CASE WHEN OLD.playbook OPERATOR(pg_catalog.=) ANY ('{A,B,C,D}'::text[])
                              THEN 'Every tier keeps its playbook: change it with UPDATE.'
                              ELSE 'Turn it off with UPDATE prio.playbooks SET enabled = false.' END;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION @extschema@.playbooks_keep() IS
'Trigger on prio.playbooks: refuses to remove or rename the shipped playbooks (the tiers'' and the five types''; 23514: turn a type''s off with enabled = false) and TRUNCATE; playbooks you added may be deleted or renamed.';

-- The playbooks naming a channel, read in the latest snapshot (as
-- _type_playbook() below): what a removal of the channel that waited for a
-- playbook's transaction (playbooks_check() locks the channel's row) must
-- see, in repeatable read too.
CREATE FUNCTION @extschema@._channel_playbooks(channel text)
RETURNS text
AS 'MODULE_PATHNAME', 'prio_channel_playbooks'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._channel_playbooks(text) IS
'Internal (prio.channels_in_use()): the playbooks naming channel (comma-separated), or (channel NULL) the first playbook; NULL when none.  Reads prio.playbooks in the latest snapshot, as a foreign key''s check does: a playbook committed after a repeatable-read transaction''s snapshot counts.';

CREATE FUNCTION @extschema@.channels_in_use()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_used text;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        v_used := @extschema@._channel_playbooks(NULL);
        IF v_used IS NOT NULL THEN
            RAISE EXCEPTION 'prio.channels cannot be emptied: playbook % names its channels', v_used
                USING ERRCODE = '23503';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.channel OPERATOR(pg_catalog.=) OLD.channel THEN
        RETURN NEW;
    END IF;
    -- the row is locked (this DELETE or UPDATE's): a playbook naming it
    -- added at the same time has committed or rolled back by now; seen
    -- whatever this transaction's snapshot
    v_used := @extschema@._channel_playbooks(OLD.channel);
    IF v_used IS NOT NULL THEN
        RAISE EXCEPTION 'channel % is named by playbook %', OLD.channel, v_used
            USING ERRCODE = '23503', HINT = 'Take it out of those playbooks first.';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.channels_in_use() IS
'Trigger on prio.channels: a channel a playbook names cannot be removed or renamed (23503), a playbook added by a concurrent transaction included (prio._channel_playbooks()).';

CREATE TRIGGER channels_in_use
    BEFORE UPDATE OR DELETE ON @extschema@.channels
    FOR EACH ROW EXECUTE FUNCTION @extschema@.channels_in_use();
CREATE TRIGGER channels_truncated
    BEFORE TRUNCATE ON @extschema@.channels
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.channels_in_use();
-- a removed channel stays removed across a dump and restore (prio.removed_config)
CREATE TRIGGER channels_removed
    AFTER DELETE ON @extschema@.channels
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('channel');
-- (a renamed one too: its old key is gone as a deleted row's)
CREATE TRIGGER channels_renamed
    AFTER UPDATE ON @extschema@.channels
    FOR EACH ROW WHEN (OLD.channel OPERATOR(pg_catalog.<>) NEW.channel)
    EXECUTE FUNCTION @extschema@.config_row_removed('channel');
CREATE TRIGGER channels_truncated_removed
    BEFORE TRUNCATE ON @extschema@.channels
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('channel');

-- The playbook for a type, read in the latest snapshot (as a foreign key's
-- check reads; src/support/spi.c, PrioReadLatest()): what a removal of the
-- type that waited for the playbook's transaction (playbooks_check() locks
-- the type's row) must see, in repeatable read too.
CREATE FUNCTION @extschema@._type_playbook(type text)
RETURNS text
AS 'MODULE_PATHNAME', 'prio_type_playbook'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._type_playbook(text) IS
'Internal (prio._customer_types_in_use()): the playbook for type, or (type NULL) the first playbook for any type; NULL when none.  Reads prio.playbooks in the latest snapshot, as a foreign key''s check does: a playbook committed after a repeatable-read transaction''s snapshot counts.';

-- a key-customer type with a playbook is not removed or renamed (as a
-- channel a playbook names): the playbook would be for nobody
CREATE FUNCTION @extschema@._customer_types_in_use()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_used text;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        v_used := @extschema@._type_playbook(NULL);
        IF v_used IS NOT NULL THEN
            RAISE EXCEPTION 'prio.customer_types cannot be emptied: playbook % is for its type', v_used
                USING ERRCODE = '23503';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND NEW.type OPERATOR(pg_catalog.=) OLD.type THEN
        RETURN NEW;
    END IF;
    -- the row is locked (this DELETE or UPDATE's): a playbook added for it
    -- at the same time has committed or rolled back by now; seen whatever
    -- this transaction's snapshot
    IF @extschema@._type_playbook(OLD.type) IS NOT NULL THEN
        RAISE EXCEPTION 'key-customer type % has a playbook', OLD.type
            USING ERRCODE = '23503',
                  HINT = pg_catalog.format('Remove its playbook first: DELETE FROM prio.playbooks WHERE playbook = %L.', OLD.type);
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._customer_types_in_use() IS
'Trigger on prio.customer_types: a type that has a playbook (prio.playbooks) cannot be removed or renamed (23503), a playbook added by a concurrent transaction included (prio._type_playbook()).';

CREATE TRIGGER customer_types_in_use
    BEFORE UPDATE OR DELETE ON @extschema@.customer_types
    FOR EACH ROW EXECUTE FUNCTION @extschema@._customer_types_in_use();
CREATE TRIGGER customer_types_truncated
    BEFORE TRUNCATE ON @extschema@.customer_types
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._customer_types_in_use();

CREATE FUNCTION @extschema@.playbooks_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.playbooks'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.playbooks_changed() is a trigger of prio.playbooks only'
            USING ERRCODE = '39P01';
    END IF;
    -- as a settings change does (prio.config_changed()): wait for the
    -- writers of customer_state, hold off new ones, re-tier everyone
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    PERFORM @extschema@.rebuild(NULL, 'playbooks changed', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.playbooks_changed() IS
'Statement trigger: a change of prio.playbooks re-tiers everyone (their due dates and playbooks) in the same transaction.';
REVOKE ALL ON FUNCTION @extschema@.playbooks_changed() FROM PUBLIC;

CREATE TRIGGER playbooks_check
    BEFORE INSERT OR UPDATE ON @extschema@.playbooks
    FOR EACH ROW EXECUTE FUNCTION @extschema@.playbooks_check();
CREATE TRIGGER playbooks_guard
    BEFORE INSERT OR UPDATE ON @extschema@.playbooks
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('playbook');
CREATE TRIGGER playbooks_keep
    BEFORE UPDATE OR DELETE ON @extschema@.playbooks
    FOR EACH ROW EXECUTE FUNCTION @extschema@.playbooks_keep();
CREATE TRIGGER playbooks_truncated
    BEFORE TRUNCATE ON @extschema@.playbooks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.playbooks_keep();
CREATE TRIGGER playbooks_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.playbooks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
CREATE TRIGGER playbooks_changed
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.playbooks
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.playbooks_changed();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.playbooks', 'WHERE NOT builtin');

-- The playbooks are the team's, not a secret: every reader of prio.followup
-- (next_action) and prio.explain() reads them.
GRANT SELECT ON @extschema@.playbooks, @extschema@.channels TO PUBLIC;

CREATE FUNCTION @extschema@.playbooks_for(tier text, types text[] DEFAULT NULL,
                                          OUT playbook text, OUT chosen boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'prio_playbooks_for'
LANGUAGE C STABLE PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.playbooks_for(text, text[]) IS
'The enabled playbooks that apply to a customer of tier (A-D) holding the key-customer types given: the tier''s and each type''s; the one that sets the due date (the shortest cadence, a tier''s without one at its prio.settings cadence; ties: a type''s before the tier''s, then by name) first, chosen true.  The rule prio applies to every customer (src/rules/playbook.c).  Each of types must be a row of prio.customer_types (22023 naming the one that is not; a NULL among them 22004); types NULL: none held.';

-- prio.explain()'s part on playbooks: those that apply and the one that
-- won (explain() adds the channel check, sql/install/92_channel.sql)
CREATE FUNCTION @extschema@._explain_playbook(s @extschema@.customer_state, tier text)
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH held AS (
    -- the key-customer types the customer holds (customer_state.types where
    -- the table has it; none otherwise)
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(t.j)) AS types
      FROM (SELECT pg_catalog.to_jsonb(s) OPERATOR(pg_catalog.->) 'types' AS j) t0
     CROSS JOIN LATERAL (SELECT CASE WHEN pg_catalog.jsonb_typeof(t0.j) OPERATOR(pg_catalog.=) 'array'
                                     THEN t0.j ELSE '[]'::jsonb END AS j) t
), applied AS (
    SELECT f.playbook, f.chosen, p.cadence, p.channels, p.roles, p.automated, p.action,
           COALESCE(p.cadence, CASE p.playbook WHEN 'A' THEN cfg.cadence_a WHEN 'B' THEN cfg.cadence_b
                                               WHEN 'C' THEN cfg.cadence_c ELSE cfg.cadence_d END) AS effective
      FROM held h
     CROSS JOIN LATERAL @extschema@.playbooks_for(tier, h.types) f
      JOIN @extschema@.playbooks p ON p.playbook OPERATOR(pg_catalog.=) f.playbook
     CROSS JOIN @extschema@.settings cfg
)
SELECT pg_catalog.jsonb_build_object(
           'types', pg_catalog.to_jsonb(h.types),
           'applied', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'playbook', a.playbook, 'chosen', a.chosen, 'cadence', a.effective,
                                  'cadence_from', CASE WHEN a.cadence IS NULL THEN 'settings' ELSE 'playbook' END,
                                  'channels', a.channels, 'roles', a.roles, 'automated', a.automated,
                                  'action', a.action) ORDER BY NOT a.chosen, a.effective, a.playbook), '[]'::jsonb)
                         FROM applied a),
           'chosen', (SELECT a.playbook FROM applied a WHERE a.chosen),
           'stored', s.playbook)
  FROM held h;
END;
COMMENT ON FUNCTION @extschema@._explain_playbook(@extschema@.customer_state, text) IS
'Internal (prio.explain()): the key-customer types the customer holds, the playbooks that apply (its tier''s and its types'', with their cadence and where it comes from), the one that wins now (chosen) and the one stored.';
