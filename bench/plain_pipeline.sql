-- What a DBA would write without prio: facts per customer with GROUP BY and
-- FILTER, the lifecycle approximated with aggregates over the enum, quintile
-- breaks with percentile_cont, scores with CASE, decayed intent with power(),
-- then value, intent and the ABCD tier.  Same default settings as prio.
WITH ev AS (
    SELECT a.customer_id, a.at, a.amount, k.direction, k.stage, k.is_purchase, k.intent_weight
      FROM prio.activities a JOIN prio.activity_kinds k ON k.kind = a.kind
), facts AS (
    SELECT customer_id, min(at) AS first_at,
           max(at) FILTER (WHERE direction = 'inbound') AS last_in,
           max(at) FILTER (WHERE direction = 'outbound') AS last_out,
           max(at) FILTER (WHERE is_purchase) AS last_purchase,
           count(*) FILTER (WHERE is_purchase) AS frequency,
           coalesce(sum(amount) FILTER (WHERE is_purchase), 0) AS monetary,
           sum(intent_weight * power(0.5, extract(epoch FROM now() - at) / (14 * 86400))) AS intent,
           (array_agg(stage ORDER BY at DESC) FILTER (WHERE stage IN ('won', 'lost')))[1] AS decisive,
           max(at) FILTER (WHERE stage IN ('won', 'lost')) AS decisive_at,
           max(stage) FILTER (WHERE stage < 'won') AS furthest
      FROM ev GROUP BY customer_id
), life AS (
    SELECT f.*,
           CASE WHEN decisive = 'won' THEN 'won'
                WHEN decisive = 'lost' AND (last_in IS NULL OR last_in <= decisive_at) THEN 'lost'
                WHEN furthest > 'interested' THEN furthest::text
                WHEN last_in IS NOT NULL THEN 'interested'
                ELSE coalesce(furthest::text, 'prospect') END AS base_stage
      FROM facts f
), breaks AS (
    SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY extract(epoch FROM now() - last_purchase) / 86400) AS rb,
           percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) AS fb,
           percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary) AS mb
      FROM facts WHERE frequency > 0
), scored AS (
    SELECT l.customer_id, l.intent,
           CASE WHEN l.base_stage IN ('prospect', 'interested', 'engaged', 'closing')
                     AND now() - coalesce(l.last_in, l.first_at) >= interval '30 days' THEN 'silent'
                WHEN l.base_stage = 'won' AND now() - coalesce(l.last_in, l.first_at) >= interval '90 days' THEN 'silent'
                ELSE l.base_stage END AS stage,
           l.last_out > coalesce(l.last_in, '-infinity') AND now() - l.last_out > interval '3 days' AS no_reply,
           (c.budget IS TRUE)::int + (c.authority IS TRUE)::int + (c.need IS TRUE)::int + (c.timeline IS TRUE)::int AS bant,
           c.budget IS TRUE AND c.authority IS TRUE AS ba,
           1 + (b.fb[1] < l.frequency)::int + (b.fb[2] < l.frequency)::int + (b.fb[3] < l.frequency)::int + (b.fb[4] < l.frequency)::int AS f,
           1 + (b.mb[1] < l.monetary)::int + (b.mb[2] < l.monetary)::int + (b.mb[3] < l.monetary)::int + (b.mb[4] < l.monetary)::int AS m
      FROM life l JOIN prio.customers c ON c.customer_id = l.customer_id CROSS JOIN breaks b
), tiered AS (
    SELECT customer_id, stage,
           (m >= 4 OR f >= 4 OR ba) AS value_high,
           NOT no_reply AND (bant >= 3 OR stage IN ('engaged', 'closing') OR intent >= 3) AS intent_high
      FROM scored
)
SELECT customer_id,
       CASE WHEN stage = 'lost' THEN 'D'
            WHEN value_high AND intent_high THEN 'A' WHEN value_high THEN 'B'
            WHEN intent_high THEN 'C' ELSE 'D' END AS tier
  FROM tiered;
