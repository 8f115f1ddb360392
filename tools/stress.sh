#!/bin/bash
# tools/stress.sh -- pgbench soak of prio's live maintenance under concurrency.
#
# In a throwaway cluster of its own (tools/cluster.sh): CREATE EXTENSION prio,
# CUSTOMERS customers (default 1000) with a few activities each, then for
# DURATION seconds (default 60):
#   - CLIENTS (default 8) pgbench clients inserting activities of random kinds,
#     half single rows and half batches of 2-10 rows, 20% of them on 10 hot
#     customers, dated from 30 days back to 12 hours ahead (so appends,
#     backfills/refolds and ties all happen), amounts for purchases;
#   - 1 client running SELECT prio.refresh() about every second;
#   - 1 client running BANT updates (one or two customers per statement, their
#     rows locked in customer_id order first, as docs/operations.md asks).
# pgbench runs without retries, so a deadlock or any other error aborts a
# client.  Afterwards it asserts:
#   - no failed transactions and no aborted clients in any pgbench run;
#   - in ONE transaction: SELECT prio.refresh(); snapshot customer_state (all
#     columns but updated_at); SELECT prio.recompute() returns 0; the snapshot
#     equals customer_state afterwards (no row differs either way);
#   - one state row per customer, frequency/monetary equal plain SQL, no
#     tier_history orphans, no ERROR/PANIC in the server log.
# Prints throughput (tps per pgbench run) and errors; exits 1 on any failure.
# Runs in about DURATION + 15 s.  Needs prio installed (make install) and pgbench.
#
#   tools/stress.sh                     # 60 s
#   DURATION=20 CUSTOMERS=300 tools/stress.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

DURATION=${DURATION:-60}
CUSTOMERS=${CUSTOMERS:-1000}
CLIENTS=${CLIENTS:-8}
HOT=10

started=$(date +%s)
cluster_init "max_connections = 50" "synchronous_commit = off" "shared_buffers = 128MB" \
	"log_min_messages = warning" "log_lock_waits = on" "deadlock_timeout = 1s"
cluster_start
db=prio_stress
cluster_psql -d postgres -c "CREATE DATABASE $db"
cluster_psql -d $db >/dev/null <<SQL
CREATE EXTENSION prio;
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline)
SELECT g, 'Customer ' || g, 'rep' || (g % 7),
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END
  FROM generate_series(1, $CUSTOMERS) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, now() - (random() * 200 + 31) * interval '1 day',
       CASE WHEN k = 'purchase' THEN round((random() * 2000)::numeric, 2) ELSE 0 END
  FROM generate_series(1, $CUSTOMERS) c,
       LATERAL (SELECT (ARRAY['purchase','inquiry','reply','email_open','visit','trial_use','demo_request',
                              'call','email','meeting','proposal','quote'])[1 + floor(random() * 12)::int] AS k
                  FROM generate_series(1, 4) WHERE c > 0) kk;
SELECT prio.refresh();
SQL

w=$CL_DIR/bench
mkdir -p "$w"
kinds="ARRAY['purchase','purchase','purchase','inquiry','reply','email_open','visit','trial_use','demo_request','rejected','call','email','meeting','proposal','quote','contract']"
cat > "$w/single.sql" <<SQL
\set r random(1, 100)
\set hot random(1, $HOT)
\set any random(1, $CUSTOMERS)
\set cust CASE WHEN :r <= 20 THEN :hot ELSE :any END
\set k random(1, 16)
\set back random(-43200, 2592000)
\set amt random(1, 500000)
INSERT INTO prio.activities (customer_id, kind, at, amount)
VALUES (:cust, ($kinds)[:k], now() - :back * interval '1 second',
        CASE WHEN :k <= 3 THEN :amt / 100.0 ELSE 0 END);
SQL
cat > "$w/batch.sql" <<SQL
\set n random(2, 10)
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT CASE WHEN random() < 0.2 THEN 1 + floor(random() * $HOT)::int
            ELSE 1 + floor(random() * $CUSTOMERS)::int END,
       k, now() - (random() * 2635200 - 43200) * interval '1 second',
       CASE WHEN k = 'purchase' THEN round((random() * 5000)::numeric, 2) ELSE 0 END
  FROM generate_series(1, :n) g,
       LATERAL (SELECT ($kinds)[1 + floor(random() * 16)::int] AS k WHERE g > 0) kk;
SQL
cat > "$w/refresh.sql" <<'SQL'
SELECT prio.refresh();
\sleep 1 s
SQL
cat > "$w/bant.sql" <<SQL
\set r random(1, 100)
\set hot random(1, $HOT)
\set a random(1, $CUSTOMERS)
\set b random(1, $CUSTOMERS)
\set cust CASE WHEN :r <= 20 THEN :hot ELSE :a END
BEGIN;
-- two customers in one statement: locked in customer_id order first, as
-- docs/operations.md asks of an application (an UPDATE locks in scan order)
SELECT 1 FROM prio.customers WHERE customer_id IN (:cust, :b) ORDER BY customer_id FOR NO KEY UPDATE;
UPDATE prio.customers
   SET budget = random() < 0.5, authority = random() < 0.5,
       need = CASE WHEN random() < 0.2 THEN NULL ELSE random() < 0.5 END, timeline = random() < 0.5
 WHERE customer_id IN (:cust, :b);
COMMIT;
\sleep 20 ms
SQL

echo "stress: $CUSTOMERS customers ($HOT hot), $CLIENTS insert clients + refresh + BANT, ${DURATION}s"
cluster_run pgbench -n -d $db -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" \
	-f "$w/single.sql@5" -f "$w/batch.sql@5" >"$w/ins.out" 2>"$w/ins.err" &
p_ins=$!
cluster_run pgbench -n -d $db -c 1 -T "$DURATION" -f "$w/refresh.sql" >"$w/ref.out" 2>"$w/ref.err" &
p_ref=$!
cluster_run pgbench -n -d $db -c 1 -T "$DURATION" -f "$w/bant.sql" >"$w/bant.out" 2>"$w/bant.err" &
p_bant=$!
cluster_cleanup_extra() { kill $p_ins $p_ref $p_bant 2>/dev/null; }

fail=0
report() {  # name pid out err
	local name=$1 pid=$2 out=$3 err=$4 rc=0 tps failed processed aborted
	wait "$pid" || rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out")
	processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
	aborted=$(grep -c 'aborted' "$err" || true)
	printf '%-8s tps %-10s transactions %-8s failed %-4s aborted clients %-3s exit %s\n' \
		"$name" "${tps:-?}" "${processed:-?}" "${failed:-?}" "$aborted" "$rc"
	if [ "$rc" -ne 0 ] || [ "${failed:-1}" != 0 ] || [ "$aborted" -ne 0 ] || [ -z "$processed" ] || [ "$processed" = 0 ]; then
		fail=1
		echo "--- $name stderr:"; head -20 "$err"
	fi
}
report insert $p_ins "$w/ins.out" "$w/ins.err"
report refresh $p_ref "$w/ref.out" "$w/ref.err"
report bant $p_bant "$w/bant.out" "$w/bant.err"
unset -f cluster_cleanup_extra

# The rebuild check, in one transaction (now() is constant within it).
check=$(cluster_psql -d $db -At -f "$(dirname "$0")/state_check.sql")
echo "$check" | sed 's/^/check: /'
val() { echo "$check" | sed -n "s/^$1 //p"; }
[ "$(val recompute)" = 0 ] || { echo "FAIL: prio.recompute() returned $(val recompute), expected 0"; fail=1; }
[ "$(val differ)" = 0 ] || { echo "FAIL: $(val differ) customer_state rows differ from the rebuild"; fail=1; }
[ "$(val state_rows_mismatch)" = 0 ] || { echo "FAIL: customers without exactly one state row"; fail=1; }
[ "$(val facts_vs_sql)" = 0 ] || { echo "FAIL: frequency/monetary/last_at/next_planned_at differ from plain SQL"; fail=1; }
[ "$(val history_orphans)" = 0 ] || { echo "FAIL: tier_history rows of unknown customers"; fail=1; }

errors=$(grep -E ' (ERROR|PANIC|FATAL): ' "$CL_LOG" || true)
if [ -n "$errors" ]; then
	echo "FAIL: the server log has errors:"; echo "$errors" | head -20; fail=1
fi
waits=$(grep -c 'still waiting for' "$CL_LOG" || true)
echo "stress: lock waits over deadlock_timeout (1 s): $waits"
echo "stress: $(( $(date +%s) - started ))s total"
if [ $fail -ne 0 ]; then echo "stress: FAILED"; exit 1; fi
echo "stress: OK"
