# systemd_unit.sh - data/systemd/sluice-worker@.service as `make install`
# puts it: under the configured unit directory, ExecStart the installed
# binary, and a unit systemd accepts (systemd-analyze verify, warnings
# included) once an instance names a project directory.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"

build=$(dirname "$SLUICE")
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
grep -q '^systemdsystemunitdir =' "$build/Makefile" || fail "the build knows no systemd unit directory"
# Not as a sub-make of `make check`: its flags would add directory lines.
unset MAKEFLAGS MFLAGS MAKELEVEL
make_var() { # NAME: its value as make expands it in the build
	printf 'print:\n\t@echo $(%s)\n' "$1" |
		make -s -C "$build" --no-print-directory -f Makefile -f - print
}
unitdir=$(make_var systemdsystemunitdir)
[ -n "$unitdir" ] || { echo "configured --without-systemdsystemunitdir: skipped"; exit 77; }
bindir=$(make_var bindir)

make -s -C "$build" install-systemdsystemunitDATA DESTDIR="$T/inst" >/dev/null
unit="$T/inst$unitdir/sluice-worker@.service"
[ -f "$unit" ] || fail "make install did not put the unit in $unitdir: $(find "$T/inst" -type f)"
grep -qx "ExecStart=$bindir/sluice worker" "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -qx "Type=simple" "$unit" || fail "not Type=simple"
grep -qx "KillMode=mixed" "$unit" || fail "KillMode"
grep -qx "Restart=on-failure" "$unit" || fail "Restart"

# An instance for a real project directory, run from the binary under test.
mkdir -p "$T/srv/acme"
inst=$(systemd-escape --path "$T/srv/acme")
mkdir "$T/units"
sed "s|^ExecStart=.*|ExecStart=$SLUICE worker|" "$unit" > "$T/units/sluice-worker@$inst.service"
set +e
out=$(systemd-analyze verify --man=no "$T/units/sluice-worker@$inst.service" 2>&1)
rc=$?
set -e
assert_eq 0 "$rc" "systemd-analyze verify: $out"
assert_eq "" "$out" "systemd-analyze verify's warnings"
