# console.sh - drive the real sluice console in a real terminal (tmux).
#
#   console_start COLS ROWS TERM ARGS...   start sluice ARGS in a detached
#                                          tmux pane of that size and TERM
#   console_keys KEY...                    tmux send-keys (names like Enter,
#                                          Escape, Up; -l for literal text)
#   console_wait TEXT [SECONDS]            wait until TEXT is on screen
#   console_wait_gone TEXT [SECONDS]       wait until TEXT is not on screen
#   console_screen                         print the screen as text
#   console_expect FILE                    every line of FILE (a readable
#                                          expected screen, blank lines
#                                          ignored) must appear on screen
#   console_resize COLS ROWS
#   console_exited [SECONDS]               wait for the program to exit; sets
#                                          CONSOLE_STATUS to its exit code
#   console_stop
#
# Needs testlib.sh sourced first.  Each test has its own tmux server.

CONSOLE_SOCKET="sluice-test-$$"
CONSOLE_SESSION=t

_tmux() { tmux -L "$CONSOLE_SOCKET" -f /dev/null "$@"; }

console_start() {
	local cols=$1 rows=$2 term=$3
	shift 3
	local cmd="cd $(printf '%q' "$PWD") && exec env TERM=$term"
	local a
	for a in "$SLUICE" "$@"; do
		cmd+=" $(printf '%q' "$a")"
	done
	_tmux new-session -d -s "$CONSOLE_SESSION" -x "$cols" -y "$rows" \
		-e "LANG=${LANG:-C.UTF-8}" "$cmd" \; set-option -g remain-on-exit on \
		\; set-option -g status off
	at_exit console_stop
}

console_keys() {
	_tmux send-keys -t "$CONSOLE_SESSION" "$@"
}

console_screen() {
	_tmux capture-pane -p -t "$CONSOLE_SESSION"
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
	local limit=${1:-10} i dead
	for i in $(seq 1 $((limit * 20))); do
		dead=$(_tmux display-message -p -t "$CONSOLE_SESSION" '#{pane_dead}' 2>/dev/null || echo 1)
		if [ "$dead" = 1 ]; then
			CONSOLE_STATUS=$(_tmux display-message -p -t "$CONSOLE_SESSION" '#{pane_dead_status}' 2>/dev/null || echo "?")
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
