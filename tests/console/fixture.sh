# fixture.sh - a project with real data for console tests.
#
#   fixture_project DIR   copy tests/console/project to DIR and fill its
#                         control store and warehouse (mkfixture fill); cd
#                         there afterwards to run the console on it
#   fixture_checksum DIR  a digest of every row of the store and warehouse
#   fixture_logs DIR N RATE  append N log records at RATE a second
MKFIXTURE="$SLUICE_BUILDDIR/tests/console/mkfixture"

fixture_project() {
	mkdir -p "$1"
	cp "$SLUICE_SRCDIR/tests/console/project/sluice.json" "$1/"
	"$MKFIXTURE" fill "$1" || fail "mkfixture fill $1"
}

fixture_checksum() { "$MKFIXTURE" checksum "$1"; }

fixture_logs() { "$MKFIXTURE" logs "$@"; }
