#!/bin/bash
# tools/fuzz.sh -- run the deterministic fuzz test (test/fuzz.sql) and print its
# SQLSTATE histogram per function.
#
# test/fuzz.sql calls every C-backed function and aggregate of prio (bant_count,
# rfm_score, rfm, intent, rfm_segment, next_stage, effective_stage, decayed,
# recency_days, check_breaks, fold, evaluate) 102,000 times and the CLV ones
# (clv_summary, bgnbd_fit, gammagamma_fit, p_alive, expected_purchases,
# expected_spend, clv) 21,250 times with random hostile
# arguments (setseed: the same calls every run), each in a subtransaction, and
# fails on any XX000, any SQLSTATE class outside 22/23/2F/0A/42/54, results
# outside their documented ranges, or a backend/postmaster restart.
# This wrapper runs it in a throwaway cluster of its own (tools/cluster.sh),
# or, with FUZZ_ENV_SERVER=1, in a fresh database rel_fuzz on the server in
# PGHOST/PGPORT.  ROUNDS=n changes the number of rounds (12 calls each; then
# n / 4 CLV rounds of 10).  Exits 1 if a test fails or the server died.  About 30 s.
# Needs prio and pgTAP (postgresql-15-pgtap) installed.
set -euo pipefail
cd "$(dirname "$0")/.."

opts=""
[ -n "${ROUNDS:-}" ] && opts="-c prio.fuzz_rounds=$ROUNDS"
started=$(date +%s)
if [ -n "${FUZZ_ENV_SERVER:-}" ]; then
	run_psql() { PGOPTIONS="$opts" psql -X -q -v ON_ERROR_STOP=1 "$@"; }
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS rel_fuzz" -c "CREATE DATABASE rel_fuzz"
else
	. tools/cluster.sh
	cluster_init
	cluster_start
	run_psql() { PGHOST=$CL_SOCK PGPORT=$CL_PORT PGUSER=postgres PGOPTIONS="$opts" psql -X -q -v ON_ERROR_STOP=1 "$@"; }
	run_psql -d postgres -c "CREATE DATABASE rel_fuzz"
fi
run_psql -d rel_fuzz -c "CREATE EXTENSION prio" -c "CREATE EXTENSION pgtap"

out=$(mktemp)
rc=0
run_psql -d rel_fuzz -At -f test/fuzz.sql >"$out" 2>&1 || rc=$?
grep -E '^# ([a-z_]+|out of range): ' "$out"
grep -E '^not ok' "$out" || true
grep -E 'ERROR|FATAL|server closed|terminated' "$out" || true
failed=$(grep -E '^not ok' "$out" | grep -vc '# TODO' || true)
total=$(grep -cE '^(ok|not ok)' "$out" || true)
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
rm -f "$out"
echo "fuzz: $total of ${planned:-?} tests ran, $failed failed (psql exit $rc), $(( $(date +%s) - started ))s"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" != "${planned:-x}" ]; then
	echo "fuzz: FAILED"; exit 1
fi
[ -n "${FUZZ_ENV_SERVER:-}" ] && psql -X -q -d postgres -c "DROP DATABASE rel_fuzz"
echo "fuzz: OK"
