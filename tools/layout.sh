#!/bin/bash
# tools/layout.sh (make check-layout) -- the C layout rules, checked against the tree:
#
#   1. every C entry point of the install script (AS 'MODULE_PATHNAME', 'symbol') is
#      defined (PG_FUNCTION_INFO_V1) in src/sql/X.c, X the SQL function's name, or, for
#      an aggregate's support function (SFUNC, FINALFUNC, COMBINEFUNC, SERIALFUNC,
#      DESERIALFUNC), X the aggregate's name (a function several aggregates share may
#      be in any of their files);
#   2. src/sql/ holds nothing else that is an entry point, and no entry point is
#      outside src/sql/; the symbols only older versions' scripts
#      name (sql/prio--X.Y.sql, --X.Y--X.Z.sql) are all in src/sql/legacy.c;
#   3. src/rules/ is pure: no SPI, no table, index or catalog access;
#   4. src/ itself holds only prio.c and prio.h; the rest is in rules/, engine/,
#      support/ or sql/.
#
# Prints each departure and exits 1 if there is any.  Needs only the tree and make
# (it builds sql/prio--VERSION.sql from its parts).
set -uo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" prio.control)
script=sql/prio--$version.sql
make -s "$script" >/dev/null || exit 2

# "sqlname symbol" for each C function, and "function aggregate" for each support function
functions=$(awk '
	match($0, /CREATE FUNCTION @extschema@\.[a-z_0-9]+/) {
		name = substr($0, RSTART + 28, RLENGTH - 28)
	}
	match($0, /MODULE_PATHNAME'"'"', *'"'"'[a-z_0-9]+/) {
		s = substr($0, RSTART, RLENGTH); sub(/.*'"'"'/, "", s); print name, s
	}' "$script" | sort -u)
support=$(awk '
	match($0, /CREATE AGGREGATE @extschema@\.[a-z_0-9]+/) {
		agg = substr($0, RSTART + 29, RLENGTH - 29); inagg = 1
	}
	inagg {
		line = $0
		while (match(line, /(SFUNC|FINALFUNC|COMBINEFUNC|SERIALFUNC|DESERIALFUNC) *= *@extschema@\.[a-z_0-9]+/)) {
			f = substr(line, RSTART, RLENGTH); sub(/.*\./, "", f); print f, agg
			line = substr(line, RSTART + RLENGTH)
		}
	}
	inagg && /\);/ { inagg = 0 }' "$script" | sort -u)

bad=0
say() { echo "layout: $*"; bad=1; }

while read -r name sym; do
	[ -n "$sym" ] || continue
	where=$(grep -rlE "PG_FUNCTION_INFO_V1\($sym\)" src --include='*.c' | head -1)
	if [ -z "$where" ]; then
		say "prio.$name: C function $sym is not defined under src/"
		continue
	fi
	expected="src/sql/$name.c"
	aggs=$(awk -v f="$name" '$1 == f { print $2 }' <<<"$support")
	if [ -n "$aggs" ]; then
		expected=$(for a in $aggs; do printf 'src/sql/%s.c ' "$a"; done)
	fi
	case " $expected " in
	*" $where "*) ;;
	*) [ "$(wc -w <<<"$expected")" -gt 1 ] && expected="one of $expected"
	   say "$where: $sym (prio.$name) belongs in ${expected% }" ;;
	esac
done <<<"$functions"

# symbols the released versions' scripts name
released=$(cat $(ls sql/prio--*.sql | grep -vxF "$script") \
	| sed -n "s/.*MODULE_PATHNAME', *'\([a-z_0-9]*\)'.*/\1/p" | sort -u)

for f in $(grep -rlE 'PG_FUNCTION_INFO_V1\(' src --include='*.c' | sort); do
	for sym in $(sed -n 's/.*PG_FUNCTION_INFO_V1(\([a-z_0-9]*\)).*/\1/p' "$f"); do
		if grep -qE " $sym\$" <<<"$functions"; then
			continue
		elif ! grep -qxF "$sym" <<<"$released"; then
			say "$f: $sym is named by no install or upgrade script"
		elif [ "$f" != src/sql/legacy.c ]; then
			say "$f: $sym, named only by older versions' scripts, belongs in src/sql/legacy.c"
		fi
	done
	case $f in src/sql/*) ;; *) say "$f: has SQL entry points; they belong in src/sql/" ;; esac
done

for f in $(ls src/rules/*.c 2>/dev/null); do
	grep -nE 'executor/spi\.h|SPI_|table_open|table_close|index_open|heap_getnext|systable_|SearchSysCache|GetSysCache|PG_FUNCTION_ARGS' "$f" \
		| while IFS= read -r hit; do echo "layout: $f:$hit: rules are pure (no fmgr entry, SPI, table or catalog access)"; done \
		| grep . && bad=1
done

for f in $(ls src/*.c src/*.h 2>/dev/null); do
	case $f in src/prio.c|src/prio.h) ;; *) say "$f: not in a layer (src/rules, engine, support, sql)" ;; esac
done

[ $bad -eq 0 ] && echo "layout: ok"
exit $bad
