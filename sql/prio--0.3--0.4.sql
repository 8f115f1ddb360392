-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit
