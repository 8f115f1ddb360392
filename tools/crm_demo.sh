#!/bin/bash
# tools/crm_demo.sh [--then] -- demo/crm.sql (prio tracking the CRM + Sales
# Opportunities sample: $PRIO_DATA/crm-opportunities, default ../shared/data) in
# a throwaway cluster of a private copy of PostgreSQL with this tree's prio
# (tools/private.sh): nothing is installed into the system's PostgreSQL.
# --then runs demo/crm_then.sql instead: the sample as it stood on 2017-06-30,
# with deals, evaluated as of then, and what became of the deals open then.
# Everything is removed afterwards (KEEP_CLUSTER=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
demo=demo/crm.sql
case "${1:-}" in
"") ;;
--then) demo=demo/crm_then.sql ;;
*) echo "usage: $0 [--then]" >&2; exit 2 ;;
esac
data=${PRIO_DATA:-../shared/data}/crm-opportunities
if [ ! -r "$data/sales_pipeline.csv" ]; then
	echo "SKIP: $data is absent (set PRIO_DATA to the directory holding crm-opportunities/)" >&2
	exit 0
fi
# the copy's cluster reads nothing; psql (the client) reads the CSVs
export PRIO_DATA=$(cd "$data/.." && pwd)
CL_PORT=${CL_PORT:-5532}
. tools/private.sh
private_init
private_cluster
cluster_start
private_env psql -X -q -d postgres -c "CREATE DATABASE prio_crm"
private_env psql -X -q -d prio_crm -c "CREATE EXTENSION prio"
PGTZ=UTC private_env psql -X -d prio_crm -v ON_ERROR_STOP=1 -f "$demo"
