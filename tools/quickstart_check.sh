#!/bin/sh
# tools/quickstart_check.sh -- run by sql/quickstart.sql: do the SQL blocks of the
# README's "Quick start" equal the lines between the markers of sql/quickstart.sql?
# Prints "README quick start and sql/quickstart.sql agree", or what differs.
# Blank lines are ignored; everything else must match character for character.
cd "$(dirname "$0")/.." || exit 1
readme=$(awk '/^## Quick start/ { q = 1; next }
	q && /^## / { q = 0 }
	q && /^```sql$/ { s = 1; next }
	s && /^```$/ { s = 0; next }
	s && NF { print }' README.md)
test=$(awk '/^-- >>> README.md quick start$/ { s = 1; next }
	/^-- <<< README.md quick start$/ { s = 0 }
	s && NF { print }' sql/quickstart.sql)
if [ -z "$readme" ]; then
	echo "README.md has no SQL in its Quick start section"
elif [ "$readme" = "$test" ]; then
	echo "README quick start and sql/quickstart.sql agree"
else
	echo "README quick start and sql/quickstart.sql differ:"
	printf '%s\n' "$readme" > /tmp/prio_qs_readme.$$
	printf '%s\n' "$test" > /tmp/prio_qs_test.$$
	diff /tmp/prio_qs_readme.$$ /tmp/prio_qs_test.$$
	rm -f /tmp/prio_qs_readme.$$ /tmp/prio_qs_test.$$
fi
