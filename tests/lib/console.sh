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
#   console_expect FILE                    every line of FILE (a readable
#                                          expected screen, blank lines
#                                          ignored) must appear on screen
#   console_resize COLS ROWS
#   console_exited [SECONDS]               wait for the program to exit; sets
#                                          CONSOLE_STATUS to its exit code
#                                          (128+N if signal N killed it)
#   console_history                        the screen and the lines that
#                                          scrolled off it
#   console_stop
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

console_expect() { # FILE
	local screen line
	screen=$(console_screen)
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		case "$screen" in
		*"$line"*) ;;
		*)
			echo "---- screen ----" >&2
			printf '%s\n' "$screen" >&2
			echo "----------------" >&2
			fail "expected screen line missing: '$line' (from $1)"
			;;
		esac
	done <"$1"
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
