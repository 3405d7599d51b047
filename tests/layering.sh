#!/bin/bash
# The layering test: no module library reaches up.  Every symbol a
# library leaves undefined must be defined by itself, by a library below
# it, or outside sluice (libc, libpq, ...).  "Below" is the link order of
# SLUICE_LIBS in Makefile.am, read here from the build's Makefile, so a
# library added there is covered without touching this test.  A symbol
# taken from a library above is named, with both modules and the object
# file that takes it.
set -euo pipefail
build=${SLUICE_BUILDDIR:?}
libs=$(sed -n '/^SLUICE_LIBS = /,/[^\\]$/p' "$build/Makefile" | tr -d '\\' |
	sed 's/^SLUICE_LIBS = //' | tr -s ' \t\n' ' ')
read -r -a order <<<"$libs"
if [ ${#order[@]} -lt 5 ]; then
	echo "layering: SLUICE_LIBS not found in $build/Makefile (got '${libs}')" >&2
	exit 99
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# defs: SYMBOL RANK LIB, for every global symbol a library defines.
for rank in "${!order[@]}"; do
	lib=${order[$rank]}
	[ -f "$build/$lib" ] || { echo "layering: $build/$lib is missing" >&2; exit 99; }
	nm -g --defined-only "$build/$lib" 2>/dev/null |
		awk -v r="$rank" -v l="$lib" 'NF == 3 { print $3, r, l }'
done | sort -k1,1 >"$tmp/defs"

bad=0
for rank in "${!order[@]}"; do
	lib=${order[$rank]}
	# "OBJECT SYMBOL" for each undefined symbol, per object in the archive.
	nm -u -A "$build/$lib" 2>/dev/null |
		awk '{ split($1, p, ":"); print $NF, p[2] }' | sort -k1,1 >"$tmp/uses"
	join "$tmp/uses" "$tmp/defs" | awk -v r="$rank" -v l="$lib" '
		$3 < r && !seen[$1]++ {
			m = l; sub(/^lib/, "", m); sub(/\.a$/, "", m)
			h = $4; sub(/^lib/, "", h); sub(/\.a$/, "", h)
			printf "layering: %s (%s, %s) uses %s from %s (%s), a module above it\n",
				m, l, $2, $1, h, $4
		}' >"$tmp/found"
	if [ -s "$tmp/found" ]; then
		cat "$tmp/found"
		bad=1
	fi
done
if [ $bad -ne 0 ]; then
	echo "layering: order is ${order[*]} (highest first; SLUICE_LIBS in Makefile.am)"
	exit 1
fi
echo "layering: ${#order[@]} libraries, each uses only itself and those below: ${order[*]}"
