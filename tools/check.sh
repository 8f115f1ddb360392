#!/bin/bash
# Both suites against the server in the environment (prio installed).
set -uo pipefail
cd "$(dirname "$0")/.."

cdnow=../shared/data/cdnow/CDNOW_master.txt
[ -r "$cdnow" ] || echo "SKIP: $cdnow is absent; the CDNOW aggregate test checks only that it skips"
crm=${PRIO_DATA:-../shared/data}/crm-opportunities/sales_pipeline.csv
[ -r "$crm" ] || echo "SKIP: $crm is absent; the real-CRM tests (sql/crm.sql, sql/crm_then.sql) check only that they skip"

status=0
rm -f regression.diffs
if make -s installcheck > /tmp/prio_regress.$$ 2>&1; then
	cat /tmp/prio_regress.$$
else
	status=1
	cat /tmp/prio_regress.$$
	[ -f regression.diffs ] && { echo "=== regression.diffs"; cat regression.diffs; }
fi
regress_total=$(grep -cE '^(ok|not ok|test) ' /tmp/prio_regress.$$ || true)
regress_failed=$(grep -cE '^not ok|\.\.\. FAILED' /tmp/prio_regress.$$ || true)
rm -f /tmp/prio_regress.$$

tap_out=$(mktemp)
tools/prove.sh 2>&1 | tee "$tap_out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tap_total=$(sed -n 's/.*Tests=\([0-9]*\).*/\1/p' "$tap_out" | tail -1)
tap_failed=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$tap_out" | awk -F'[ /]' '{s+=$2} END {print s+0}')
rm -f "$tap_out"

passed=$(( regress_total - regress_failed + ${tap_total:-0} - tap_failed ))
failed=$(( regress_failed + tap_failed ))
[ $status -ne 0 ] && [ $failed -eq 0 ] && failed=1
echo "prio: $passed passed, $failed failed"
exit $status
