#!/bin/bash
# Install what building and testing prio needs from Debian's packages.
# Extra package names may be given (make bench adds python3-pandas).
# As root: installs what is missing.  Otherwise: prints the apt-get line, exit 2.
set -euo pipefail

need=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
      libtap-parser-sourcehandler-pgtap-perl make gcc locales "$@")
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# A Chinese locale, for the tests of what a session's lc_* settings may
# change (they skip, saying so, without it).  localedef needs root.
zh_locale() {
	locale -a 2>/dev/null | grep -qix 'zh_CN.utf8' && return 0
	[ "$(id -u)" -eq 0 ] || return 0
	echo "prio: generating the zh_CN.UTF-8 locale"
	localedef -i zh_CN -f UTF-8 zh_CN.UTF-8 || echo "prio: localedef failed: tests that need zh_CN.UTF-8 skip" >&2
}
[ ${#missing[@]} -eq 0 ] && { zh_locale; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
	echo "prio: missing Debian packages; as root run:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 2
fi
echo "prio: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
zh_locale
