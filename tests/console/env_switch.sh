#!/bin/bash
# env_switch.sh - `:env NAME` switches the console to another environment
# of the project without a restart: its control store's data, and the
# production banner when it is production; an unknown environment is
# refused on the status line with the console left as it was; `:project
# DIR` opens another project's flows, starting its worker as a console
# started there would.  In monitor mode the switch still works and starts
# nothing ("no engine").
. "$SLUICE_SRCDIR/tests/lib/testlib.sh"
. "$SLUICE_SRCDIR/tests/lib/console.sh"
. "$SLUICE_SRCDIR/tests/console/fixture.sh"
fixture_project "$T/p"
# prod: its own control store, marked production; staging: read-only
perl -0pi -e 's/\}\s*\z/,
  "environments": {
    "prod":    { "production": true, "control": "sqlite:.sluice\/prod.db" },
    "staging": { "read_only": true } }
}\n/' "$T/p/sluice.json"

mkdir -p "$T/q"
cat >"$T/q/sluice.json" <<'JSON'
{
  "project": "invoices",
  "connections": { "ledger": { "url": "sqlite:ledger.db" } },
  "flows": [
    { "name": "invoices_etl", "description": "invoice files into the ledger",
      "steps": [ { "name": "post", "kind": "sql", "connection": "ledger",
                   "sql": "SELECT 1" } ] } ]
}
JSON

mkdir -p "$T/bad"
printf '{\n  "project": "bad",\n  "flows": [ { "name": 1 } ]\n}\n' >"$T/bad/sluice.json"

cd "$T/p"
# prod's store holds one run of its own (run in the foreground: no worker)
"$SLUICE" --env prod run totesys_warehouse label=prod-only >/dev/null 2>&1 ||
	fail "the prod run failed"

# monitor: the switch only changes what is watched, and starts no worker
console_script "$T/steps" \
	'6' ':env prod' ':save-screen env-prod.screen' \
	':env nosuch' ':save-screen env-unknown.screen' \
	':project ../nope' ':save-screen project-nope.screen' \
	':project ../bad' ':save-screen project-bad.screen' \
	':env default' ':save-screen env-back.screen' \
	':quit'
console_run_script 80 24 xterm-256color "$T/steps" monitor

# the real run's duration, right-aligned in its cell
mask_run=('s/<ago> +\d[\d.msh]* +/<ago>  <took>  /')
header=$(head -1 "$T/p/env-prod.screen")
assert_contains "$header" "env: PRODUCTION" "the production banner after :env prod"
assert_contains "$header" "prod.db" "prod's control store in the header"
assert_contains "$header" "no engine" "monitor starts no worker for prod"
assert_contains "$header" "READ-ONLY" "still read-only"
console_assert_screen env-prod "$T/p/env-prod.screen" "${mask_run[@]}"
[ -f "$T/p/.sluice/worker.pid" ] && fail "monitor started a worker"
assert_eq "$header" "$(head -1 "$T/p/env-unknown.screen")" \
	"an unknown environment leaves the header as it was"
console_assert_screen env-unknown "$T/p/env-unknown.screen" "${mask_run[@]}"
for bad in nope bad; do
	assert_eq "$header" "$(head -1 "$T/p/project-$bad.screen")" \
		":project ../$bad leaves the header as it was"
	assert_eq "$(sed -n 4p "$T/p/env-prod.screen")" "$(sed -n 4p "$T/p/project-$bad.screen")" \
		":project ../$bad leaves prod's runs on screen"
done
assert_contains "$(tail -1 "$T/p/project-nope.screen")" "project: ../nope: No such file or directory" \
	"a directory that is not there"
assert_contains "$(tail -1 "$T/p/project-bad.screen")" "project: ../bad/sluice.json:3:" \
	"a project file with an error, where"
back=$(head -1 "$T/p/env-back.screen")
assert_not_contains "$back" "PRODUCTION" ":env default leaves production"
assert_contains "$back" "env: default" ":env default"
assert_contains "$(cat "$T/p/env-back.screen")" "runs 1/14" "the default environment's runs again"

# operator: another project, whose worker is not running, is started as
# a console started there would start it
console_script "$T/steps-op" \
	'5' ':project ../q' ':save-screen project-flows.screen' ':quit'
console_run_script 80 24 xterm-256color "$T/steps-op"
assert_not_contains "$(head -1 "$T/p/project-flows.screen")" "PRODUCTION" \
	"the other project's default environment is not production"
assert_contains "$(head -1 "$T/p/project-flows.screen")" "env: default" "the other project's environment"
# the header is narrower than 80 columns holding "sluice" as well
console_assert_screen project-flows "$T/p/project-flows.screen" 's/pid \d+ +/pid N  /' \
	's/^ invoices .* (\d engines?|no engine) +OPERATOR$/ invoices <fields> <engines> OPERATOR/ if $. == 1'
[ -f "$T/q/.sluice/worker.pid" ] || fail ":project did not start the other project's worker"
# Tab completes environment names and directories
CONSOLE_SOCKET=$CONSOLE_SOCKET-tab
console_start 80 24 xterm-256color monitor
console_wait "READ-ONLY"
console_keys : ; console_keys -l 'env pr'
console_keys Tab
console_wait_line -1 ":env prod"
console_keys C-u ; console_keys -l 'project ../q'
console_keys Tab
console_wait_line -1 ":project ../q/"
console_keys Escape
console_wait_gone ":project"
console_keys q
console_exited
echo "ok: :env and :project switch the console"
