#!/bin/bash
# Every test in the tree runs: each shell test under tests/integration and
# tests/console, and each unit test program, is in the build's TESTS list
# (read from its Makefile, so the lists in every local.mk are covered).  A
# script that another one sources (a *_lib.sh, the console fixture) is a
# library, not a test.  Two end-to-end tests once sat in the tree for a
# session and never ran: this names any such file.
set -euo pipefail
src=${SLUICE_SRCDIR:?}
build=${SLUICE_BUILDDIR:?}
listed=$(sed -n '/^TESTS = /,/[^\\]$/p' "$build/Makefile" | tr -d '\\' |
	sed -e 's/^TESTS = //' -e 's/\$(EXEEXT)//g' | tr -s ' \t' '\n\n')
if [ "$(grep -c . <<<"$listed")" -lt 20 ]; then
	echo "registered: TESTS not found in $build/Makefile" >&2
	exit 99
fi
cd "$src"
missing=0
for f in tests/integration/*.sh tests/console/*.sh; do
	grep -rqF --include="*.sh" "tests/${f#tests/}\"" tests && continue   # sourced
	grep -qxF -- "$f" <<<"$listed" && continue
	echo "registered: $f is in no TESTS list" >&2
	missing=$((missing + 1))
done
for c in tests/unit/test_*.c; do
	prog=${c%.c}
	grep -rqF -- "#include \"$(basename "$c")\"" tests/unit && continue       # shared cases
	grep -qxF -- "$prog" <<<"$listed" && continue
	echo "registered: $prog is in no TESTS list" >&2
	missing=$((missing + 1))
done
[ "$missing" -eq 0 ] || exit 1
echo "registered: every test is listed"
