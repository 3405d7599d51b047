#!/bin/bash
# backfill_validation.sh - before approving, the backfill's page shows
# what the validate step found on the rebuilt tables (each check, passed
# or failed, a failure's violations and sample rows) and how far the
# rebuild read (rows read of rows planned: a SQL transform reads its raw
# tables without counting them, which showed "0 of 2,187"); `show run` of
# the validate run lists the same checks, in text and JSON.  On the demo,
# with a warn check that fails on two orders.  Whole screen at 80x24.
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
cd "$T"

run_sluice init --demo demo --seed 11
assert_eq 0 "$RC" "init ($ERR)"
cd demo
sleep 3                       # past the extract lag: every generated row is due
run_sluice run totesys_ingest --wait
assert_eq 0 "$RC" "ingest ($ERR)"
run_sluice run totesys_warehouse --wait
assert_eq 0 "$RC" "warehouse ($ERR)"

# A warn check that two of the demo's orders fail (a warning does not stop
# the backfill: the operator decides at approval).
sed -i 's/"name": "units sold are positive", "severity": "warn",/"name": "small orders", "severity": "warn",/;
	s/"sql": "SELECT \* FROM stg_fact_sales_order WHERE units_sold <= 0"/"sql": "SELECT sales_order_id, units_sold FROM stg_fact_sales_order WHERE units_sold < 1100 ORDER BY sales_order_id"/' \
	sluice.json
grep -q '"small orders"' sluice.json || fail "the check was not edited"

run_sluice backfill start totesys_warehouse
assert_eq 0 "$RC" "start ($ERR)"
for step in suspend rebuild validate compare; do
	run_sluice backfill next totesys_warehouse
	assert_eq 0 "$RC" "next $step ($OUT $ERR)"
done

# ---- the page, whole -----------------------------------------------------------------
console_script "$T/steps" '8' '<Enter>' ':save-screen backfill.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor
console_assert_screen backfill-validation "$T/demo/backfill.screen"
page=$(console_mask <"$T/demo/backfill.screen")
assert_contains "$page" "rows read 2,187 of 2,187 planned" "the rebuild's rows read"
assert_contains "$page" "WARN            2  check_facts: small orders" "the failed check"
assert_contains "$page" "sales_order_id=" "a sample row of the failure"

# ---- show run of the validate run --------------------------------------------------------
val_run=$("$SLUICE" backfill status totesys_warehouse --json | json_squeeze |
	grep -o '"run_id":[0-9]*,"checks":' | grep -o '[0-9][0-9]*' || true)
[ -n "$val_run" ] || fail "no validate run in the backfill's status"
run_sluice show run "$val_run"
assert_eq 0 "$RC" "show run ($ERR)"
assert_contains "$OUT" "VALIDATION: 9 checks, 1 failed" "show run's validation"
printf '%s\n' "$OUT" | grep -Eq '^check_facts +FAILED +warn +2 small orders$' ||
	fail "show run does not list the failed check: $OUT"
printf '%s\n' "$OUT" | grep -Eq '^    sales_order_id=[0-9]+, units_sold=10[0-9][0-9]$' ||
	fail "show run shows no sample row under the failure: $OUT"
run_sluice show run "$val_run" --json
assert_eq 0 "$RC" "show run --json ($ERR)"
json=$(printf '%s\n' "$OUT" | json_squeeze)
assert_contains "$json" '"check":"small orders","severity":"warn","passed":false,"violations":2,"sample":"sales_order_id=' \
	"show run --json's validation"
echo "ok: the backfill's validation and progress"
