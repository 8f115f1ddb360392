#!/bin/bash
# tools/logical.sh -- prio on a logical-replication subscriber, as
# docs/operations.md ("Limits") documents it.
#
# In a throwaway cluster (tools/cluster.sh) with wal_level = logical, two
# databases with prio: the publisher publishes prio.customers and
# prio.activities, the subscriber subscribes to them.  Checked:
#   1. the initial copy and later replicated writes leave the subscriber's
#      state stale (the apply worker fires no statement triggers), also with
#      prio's activities_inserted trigger ENABLE ALWAYS;
#   2. SELECT prio.recompute() on the subscriber then reports the stale
#      customers, and afterwards every customer's stored facts equal the
#      publisher's (md5 of prio.stored_facts in customer order), and a
#      second recompute() returns 0;
#   3. no assertion failure or crash in the server log.
# Exits 1 on any difference.  About 10 s.  Needs prio installed;
# PRIO_PRIVATE=1 builds this tree's prio into a private copy of PostgreSQL
# instead (tools/private.sh) and runs there, leaving the system's prio alone.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
. tools/cluster.sh
cluster_init_prio "wal_level = logical" "max_wal_senders = 4" "max_replication_slots = 4" \
	"log_min_messages = warning"
cluster_start
status=0
fail() { echo "prio logical: $*" >&2; status=1; }

cluster_psql -d postgres -c "CREATE DATABASE prio_pub" -c "CREATE DATABASE prio_sub"
cluster_psql -d prio_pub -f tools/replica_seed.sql >/dev/null
cluster_psql -d prio_pub >/dev/null <<'SQL'
CREATE PUBLICATION prio_pub FOR TABLE prio.customers, prio.activities;
-- made here, not by CREATE SUBSCRIPTION: a slot in the same cluster would wait for it
SELECT pg_create_logical_replication_slot('prio_sub', 'pgoutput');
SQL
cluster_psql -d prio_sub >/dev/null <<SQL
CREATE EXTENSION prio;
CREATE SUBSCRIPTION prio_sub CONNECTION 'host=$CL_SOCK port=$CL_PORT dbname=prio_pub user=postgres'
    PUBLICATION prio_pub WITH (create_slot = false, slot_name = 'prio_sub');
SQL

# wait until the subscriber has applied everything the publisher wrote
caught_up() {
	local target ok
	target=$(cluster_psql -d prio_pub -At -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 300); do
		ok=$(cluster_psql -d prio_sub -At -c "
			SELECT bool_and(srsubstate = 'r') FROM pg_subscription_rel")
		[ "$ok" = t ] && ok=$(cluster_psql -d prio_pub -At -c "
			SELECT confirmed_flush_lsn >= '$target'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'prio_sub'")
		[ "$ok" = t ] && return 0
		sleep 0.2
	done
	echo "prio logical: the subscriber did not catch up to $target" >&2
	exit 1
}
facts="SELECT count(*) || ' ' || md5(string_agg(prio.stored_facts(s)::text, E'\n' ORDER BY customer_id))
         FROM prio.customer_state s"
# stale, repaired by recompute(), then equal to the publisher's
check_round() {
	local what=$1 pub sub n
	pub=$(cluster_psql -d prio_pub -At -c "$facts")
	sub=$(cluster_psql -d prio_sub -At -c "$facts")
	[ "$pub" != "$sub" ] || fail "$what: the subscriber's state already equals the publisher's (the docs say it is stale)"
	n=$(cluster_psql -d prio_sub -At -c "SELECT prio.recompute()")
	[ "$n" -gt 0 ] || fail "$what: recompute() on the subscriber found nothing stale"
	sub=$(cluster_psql -d prio_sub -At -c "$facts")
	[ "$pub" = "$sub" ] || fail "$what: after recompute() the subscriber's state $sub differs from the publisher's $pub"
	n=$(cluster_psql -d prio_sub -At -c "SELECT prio.recompute()")
	[ "$n" = 0 ] || fail "$what: a second recompute() on the subscriber returned $n"
	echo "prio logical: $what: stale on the subscriber, equal to the publisher after recompute()"
}

caught_up
check_round "initial copy"

# replicated writes; prio's insert trigger ENABLE ALWAYS on the subscriber changes nothing
cluster_psql -d prio_sub -c "ALTER TABLE prio.activities ENABLE ALWAYS TRIGGER activities_inserted" >/dev/null
cluster_psql -d prio_pub -f tools/replica_writes.sql >/dev/null
n=$(cluster_psql -d prio_pub -At -c "SELECT prio.recompute()")
[ "$n" = 0 ] || fail "the publisher's live state differed from a rebuild for $n customers"
caught_up
check_round "replicated writes (activities_inserted ENABLE ALWAYS)"

cluster_psql -d prio_sub -c "SET client_min_messages = warning" -c "DROP SUBSCRIPTION prio_sub" >/dev/null
if grep -nE 'TRAP: |terminated by signal|PANIC' "$CL_LOG" >&2; then
	fail "assertion failures or crashes in the server log"
fi
echo "prio logical: $([ $status -eq 0 ] && echo passed || echo FAILED), $(( $(date +%s) - started )) s"
exit $status
