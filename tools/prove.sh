#!/bin/bash
# pgTAP suite: a fresh database with prio and pgtap, then pg_prove over test/*.sql.
set -euo pipefail
cd "$(dirname "$0")/.."

db=prio_tap
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION prio' -c 'CREATE EXTENSION pgtap'
pg_prove --ext .sql -d "$db" test/
