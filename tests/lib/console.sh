# console.sh - drive the real sluice console in a real terminal (tmux).
#
#   console_start COLS ROWS TERM ARGS...   start sluice ARGS in a detached
#                                          tmux pane of that size and TERM;
#                                          assignments in the array
#                                          CONSOLE_ENV are added to its
#                                          environment, and XDG_STATE_HOME
#                                          is $T/state unless given there
#   console_keys KEY...                    tmux send-keys (names like Enter,
#                                          Escape, Up; -l for literal text)
#   console_wait TEXT [SECONDS]            wait until TEXT is on screen
#   console_wait_gone TEXT [SECONDS]       wait until TEXT is not on screen
#   console_screen                         print the screen as text
#   console_screen_escapes                 the screen with its attributes
#                                          as SGR escape sequences
#   console_line N                         line N of the screen (0 = top;
#                                          negative counts from the bottom)
#   console_wait_line N TEXT [SECONDS]     wait until line N has TEXT
#   console_pid                            pid of the program in the pane
#   console_resize COLS ROWS
#   console_exited [SECONDS]               wait for the program to exit; sets
#                                          CONSOLE_STATUS to its exit code
#                                          (128+N if signal N killed it)
#   console_history                        the screen and the lines that
#                                          scrolled off it
#   console_stop
#
# An operator console starts the project's worker daemon when none runs;
# every daemon under $T is stopped when the test exits (SIGTERM, then
# SIGKILL after 10 s), so no test leaves one running.
#
# Whole screens, compared with golden files (tig's assert_equals):
#
#   console_script FILE LINE...            write a SLUICE_CONSOLE_SCRIPT file:
#                                          one step a line (keys, <Name>d
#                                          keys, or :commands such as
#                                          `:save-screen NAME.screen`)
#   console_run_script COLS ROWS TERM SCRIPT ARGS...
#                                          run sluice ARGS with the script and
#                                          wait for it to exit (the script
#                                          ends with :quit); no polling of
#                                          the screen
#   console_mask                           stdin to stdout with what changes
#                                          from run to run replaced (below)
#   console_assert_screen NAME [FILE] [PERL...]
#                                          FILE (default: the screen now),
#                                          masked, must equal
#                                          tests/console/golden/NAME.screen,
#                                          whole; else a unified diff of
#                                          expected and actual and the test
#                                          fails.  PERL: extra substitutions
#                                          for this screen's own volatile
#                                          parts (s/.../.../ expressions)
#
# Masking (console_mask), each replacement keeping the columns of what
# follows it where the screen pads a cell:
#   - the header's fields (project, env, store, user@host), whose widths
#     depend on the machine's user and host names: the line keeps
#     " sluice", the engines ("no engine", "N engines", or one engine's
#     host, pid and start masked) and the mode           -> <fields>
#     (header.sh asserts the fields themselves)
#   - the machine's USER@HOST elsewhere                -> USER@HOST
#   - relative times: "just now", "3m ago", "in 5h"    -> <ago>, <in>, padded
#     with the cell's spaces to the same width
#   - date-times of the last and next day (the clock's, not data's: a
#     watermark of 2024-01-02 stays)                   -> digits as #
#   - the test's temporary directory ($T)              -> $T
# Goldens are written only by tests/console/update-golden (which sets
# SLUICE_UPDATE_GOLDEN=1 for the console tests); a test run compares.
#
# Needs testlib.sh sourced first.  Each test has its own tmux server.

CONSOLE_SOCKET="sluice-test-$$"
CONSOLE_SESSION=t

_tmux() { tmux -L "$CONSOLE_SOCKET" -f /dev/null "$@"; }

# The program runs under a small sh that writes its exit status to a file:
# tmux sometimes marks a pane dead without ever reaping its process, so
# pane_dead_status cannot be relied on.
_console_status_file() { printf '%s/.console-status-%s' "$T" "$CONSOLE_SOCKET"; }

console_start() {
	local cols=$1 rows=$2 term=$3
	shift 3
	local status_file
	status_file=$(_console_status_file)
	rm -f "$status_file"
	local cmd="cd $(printf '%q' "$PWD") && exec env TERM=$term"
	local a
	cmd+=" XDG_STATE_HOME=$(printf '%q' "$T/state")"
	for a in "${CONSOLE_ENV[@]+"${CONSOLE_ENV[@]}"}"; do
		cmd+=" $(printf '%q' "$a")"
	done
	cmd+=" sh -c $(printf '%q' '"$@"; echo $? >"$CONSOLE_STATUS_FILE"') sh"
	for a in "$SLUICE" "$@"; do
		cmd+=" $(printf '%q' "$a")"
	done
	_tmux new-session -d -s "$CONSOLE_SESSION" -x "$cols" -y "$rows" \
		-e "LANG=${LANG:-C.UTF-8}" -e "CONSOLE_STATUS_FILE=$status_file" "$cmd" \
		\; set-option -g remain-on-exit on \; set-option -g status off
	at_exit console_stop
	_console_stop_workers_at_exit
}

_console_stop_workers() {
	local f pid i
	for f in $(find "$T" -path '*/.sluice/worker.pid' 2>/dev/null); do
		pid=$(sed -n 1p "$f") || continue
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 1 100); do
			case "$(ps -o stat= -p "$pid" 2>/dev/null)" in ""|Z*) break ;; esac
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
}
_console_stop_workers_at_exit() {
	[ -n "${_console_workers_hooked:-}" ] && return 0
	_console_workers_hooked=1
	at_exit _console_stop_workers
}

console_keys() {
	_tmux send-keys -t "$CONSOLE_SESSION" "$@"
}

console_screen() {
	_tmux capture-pane -p -t "$CONSOLE_SESSION"
}

console_screen_escapes() {
	_tmux capture-pane -p -e -t "$CONSOLE_SESSION"
}

console_history() {
	_tmux capture-pane -p -S - -t "$CONSOLE_SESSION"
}

console_line() { # N
	local lines
	mapfile -t lines < <(console_screen)
	local n=$1
	[ "$n" -ge 0 ] || n=$(( $(_tmux display-message -p -t "$CONSOLE_SESSION" '#{pane_height}') + n ))
	printf '%s\n' "${lines[$n]-}"
}

console_wait_line() { # N TEXT [SECONDS]
	local n=$1 text=$2 limit=${3:-10} i
	for i in $(seq 1 $((limit * 20))); do
		case "$(console_line "$n")" in
		*"$text"*) return 0 ;;
		esac
		sleep 0.05
	done
	echo "---- screen ----" >&2
	console_screen >&2
	echo "----------------" >&2
	fail "'$text' did not appear on line $n within ${limit}s"
}

console_pid() {
	local sh_pid
	sh_pid=$(_tmux display-message -p -t "$CONSOLE_SESSION" '#{pane_pid}')
	ps -o pid= --ppid "$sh_pid" | tr -d ' '
}

console_wait() { # TEXT [SECONDS]
	local text=$1 limit=${2:-10} i
	for i in $(seq 1 $((limit * 20))); do
		case "$(console_screen)" in
		*"$text"*) return 0 ;;
		esac
		sleep 0.05
	done
	echo "---- screen ----" >&2
	console_screen >&2
	echo "----------------" >&2
	fail "'$text' did not appear on screen within ${limit}s"
}

console_wait_gone() { # TEXT [SECONDS]
	local text=$1 limit=${2:-10} i
	for i in $(seq 1 $((limit * 20))); do
		case "$(console_screen)" in
		*"$text"*) ;;
		*) return 0 ;;
		esac
		sleep 0.05
	done
	console_screen >&2
	fail "'$text' was still on screen after ${limit}s"
}

console_resize() {
	_tmux resize-window -t "$CONSOLE_SESSION" -x "$1" -y "$2"
}

console_exited() { # [SECONDS]
	local limit=${1:-10} i status_file
	status_file=$(_console_status_file)
	for i in $(seq 1 $((limit * 20))); do
		if [ -s "$status_file" ]; then
			CONSOLE_STATUS=$(cat "$status_file")
			return 0
		fi
		sleep 0.05
	done
	console_screen >&2
	fail "the console did not exit within ${limit}s"
}

console_stop() {
	_tmux kill-server 2>/dev/null || true
}

# ---- whole screens ------------------------------------------------------------

console_script() { # FILE LINE...
	local file=$1
	shift
	printf '%s\n' "$@" >"$file"
}

console_run_script() { # COLS ROWS TERM SCRIPT ARGS...
	local cols=$1 rows=$2 term=$3 script=$4
	shift 4
	local saved=("${CONSOLE_ENV[@]+"${CONSOLE_ENV[@]}"}")
	CONSOLE_ENV+=("SLUICE_CONSOLE_SCRIPT=$script")
	console_start "$cols" "$rows" "$term" "$@"
	CONSOLE_ENV=("${saved[@]+"${saved[@]}"}")
	console_exited 30
	[ "$CONSOLE_STATUS" = 0 ] || { console_screen >&2; fail "scripted console exited $CONSOLE_STATUS"; }
	console_stop
}

console_mask() {
	local days
	days=$(for d in -1 0 1; do date -u -d "$d day" +%F; date -d "$d day" +%F; done | sort -u | tr '\n' ' ')
	USERHOST="$(id -un)@$(hostname)" TDIR="$T" DAYS="$days" perl -CSD -pe '
		BEGIN { %day = map { $_ => 1 } split " ", $ENV{DAYS}; }
		sub pad { my ($tok, $len) = @_; $tok . " " x ($len > length $tok ? $len - length $tok : 0) }
		if ($. == 1 && /^( sluice ).*?(?:(no engine|\d+ engines?|engine \S+(?: since \d\d:\d\d)?) +)?(\S+)$/) {
			my ($eng, $mode) = ($2, $3);
			$eng =~ s/^engine \S+/engine HOST:PID/ if defined $eng;
			$eng =~ s/ since .*/ since HH:MM/ if defined $eng;
			$_ = " sluice  <fields> " . (defined $eng ? "$eng " : "") . "$mode\n";
		}
		s/\Q$ENV{TDIR}\E/\$T/g if $ENV{TDIR};
		s/\Q$ENV{USERHOST}\E/USER\@HOST/g;
		s/(just now|\d+[smhd] ago)( *)/$2 eq "" ? "<ago>" : pad("<ago>", length $&)/ge;
		s/\bin \d+[smhd]( *)/$1 eq "" ? "<in>" : pad("<in>", length $&)/ge;
		s/\b(\d{4}-\d\d-\d\d)([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?/$day{$1} ? ($& =~ tr{0-9}{#}r) : $&/ge;
		s/ +$//;
	'
}

console_assert_screen() { # NAME [FILE] [PERL...]
	local name=$1 file=${2:-} golden="$SLUICE_SRCDIR/tests/console/golden/$1.screen"
	shift $(( $# > 1 ? 2 : 1 ))
	local actual="$T/$name.actual"
	if [ -n "$file" ]; then
		[ -f "$file" ] || fail "$name: no screen saved in $file"
		console_mask <"$file" >"$actual"
	else
		console_screen | console_mask >"$actual"
	fi
	local expr
	for expr in "$@"; do
		perl -CSD -i -pe "$expr" "$actual"
	done
	if [ "${SLUICE_UPDATE_GOLDEN-}" = 1 ]; then
		cp "$actual" "$golden"
		echo "updated: $golden"
		return 0
	fi
	[ -f "$golden" ] || fail "$name: no golden file $golden (tests/console/update-golden writes it)"
	if ! diff -u --label "expected: golden/$name.screen" --label "actual: $name" \
			"$golden" "$actual" >&2; then
		fail "$name: the screen differs from golden/$name.screen (diff above)"
	fi
}
