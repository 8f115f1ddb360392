#!/bin/bash
# tools/asserts.sh (make check-asserts) -- the whole suite against prio built with
# -DUSE_ASSERT_CHECKING: every Assert() in prio's C code (and in the PostgreSQL
# header inlines it uses) is live and aborts the backend with TRAP when false.
#
# The system's prio is left alone: tools/private.sh copies the Debian PostgreSQL 15
# installation and this source tree to a temp dir, builds and installs prio there,
# and tools/cluster.sh runs a throwaway cluster from the copy's binaries (as
# postgres when run as root; unix socket only).  Then tools/check.sh -- exactly
# what `make test` runs: pg_regress incl. the isolation specs, then pgTAP -- runs
# against it, from the copy of the tree.  Fails when a suite fails, when the
# backend did not load the copy's assert-enabled prio.so, or when the server log
# has a TRAP, a backend killed by a signal or a PANIC (those lines are printed).
# The PostgreSQL server itself is Debian's non-assert build: only prio's code asserts.
# Everything is removed afterwards (KEEP_CLUSTER=1 keeps it).  About 1.5 minutes.
# Installs missing Debian packages like make test (tools/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
tools/deps.sh
CL_PORT=${CL_PORT:-5531}
. tools/private.sh

private_init -DUSE_ASSERT_CHECKING
so=$PRIV_DIR/usr/lib/postgresql/15/lib/prio.so
# an assert-enabled object calls ExceptionalCondition (the backend's Assert handler);
# grep reads all of nm's output (grep -q could quit first: SIGPIPE, pipefail)
if ! nm -D --undefined-only "$so" | grep -w ExceptionalCondition >/dev/null; then
	echo "prio asserts: $so does not call ExceptionalCondition: assertions are not compiled in" >&2
	exit 1
fi

# log_connections: the crashed backend's application_name names the test (pg_regress/NAME);
# max_prepared_transactions: specs/app_prepare.spec commits in two phases
private_cluster "log_line_prefix = '%m [%p] %e %a '" "log_connections = on" "max_prepared_transactions = 4"
cluster_start
loaded=$(cluster_psql -d postgres -At -c "LOAD 'prio'" -c "
	SELECT string_agg(DISTINCT substring(l from '(/\S*/prio\.so)'), ' ')
	  FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\n') l")
if [ "$loaded" != "$so" ]; then
	echo "prio asserts: the backend loaded '$loaded', not $so" >&2
	exit 1
fi
echo "prio asserts: prio built with -DUSE_ASSERT_CHECKING, loaded from $so"

status=0
private_env "$PRIV_SRC/tools/check.sh" || status=1

if grep -nE 'TRAP: |terminated by signal|PANIC' "$CL_LOG" >/dev/null; then
	echo "=== server log: assertion failures, crashes" >&2
	grep -nE -A25 'TRAP: |terminated by signal|PANIC' "$CL_LOG" | grep -vE 'connection (received|authorized)|in recovery mode' >&2 || true
	for pid in $(sed -n 's/.*server process (PID \([0-9]*\)) was terminated by signal.*/\1/p' "$CL_LOG"); do
		app=$(sed -n "s/.*\[$pid\].*connection authorized: .*application_name=\([^ ]*\).*/\1/p" "$CL_LOG" | head -1)
		echo "crashed backend $pid: application_name ${app:-unknown} (pg_regress/NAME, isolation/NAME; psql: a pgTAP file, see its query above)" >&2
	done
	status=1
fi
traps=$(grep -c 'TRAP: ' "$CL_LOG" || true)
echo "prio asserts: $([ $status -eq 0 ] && echo passed || echo FAILED), $traps assertion failures, $(( $(date +%s) - started )) s"
exit $status
