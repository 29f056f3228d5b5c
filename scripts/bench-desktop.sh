#!/usr/bin/env bash
# Desktop benchmark: the real app in its real webview (WebKitGTK under Xvfb,
# inside its own D-Bus session) against a real doorstep-server that holds the
# demo landlord and a conversation of 100,000 messages, beside the empty Wails
# template (svelte-ts) built here with the pinned Wails CLI. Prints a table of
# medians over BENCH_RUNS runs (default 5), Doorstep and the template taking
# turns so that both meet the same machine:
#
#   idle memory     PSS (/proc/PID/smaps_rollup) of the whole process tree:
#                   the app, its WebKitWebProcess and WebKitNetworkProcess
#                   and anything else it started; once the window is painted
#                   (Doorstep: signed in, conversation list shown) and the
#                   total has settled (changes under 1 % over a second).
#   cold start      process start (the shell's clock just before exec) to the
#                   conversation list painted, restoring the session from the
#                   keyring, as after a login; on the way, the window shown
#                   (both apps) and the page's script running.
#   open thread     click on the 100,000-message conversation (xdotool) to its
#                   newest page painted, and the memory with it open.
#   typing          key down to the next painted frame in the compose box,
#                   with that thread open: BENCH_KEYS keys a run (xdotool).
#
# "Painted" is the frame after the change, as the page itself reports it to
# the Go side (frontend/src/lib/api/benchtrace.ts, app/benchtrace.go), which
# appends it to the file named by DOORSTEP_BENCH_TRACE. The Go-side figures
# of `go test -bench ./app` are shown beside them for context.
#
# Cached in .cache/bench-desktop/ (made only when missing): the template's
# build, and the seeded server database (made by internal/bigthread, keyed by
# what it depends on). Screenshots of each measured state, the per-process
# figures and the table: test-output/bench-desktop/.
#
# Usage: scripts/bench-desktop.sh [GO BUILD TAGS]   (make bench-desktop)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export LC_ALL=C # EPOCHREALTIME with a decimal point; sort as numbers

TAGS=${1:-sqlite_fts5}
RUNS=${BENCH_RUNS:-5}
KEYS=${BENCH_KEYS:-30}
MESSAGES=100000
BIG_TENANT='Chloe Martin' # the demo tenant of the long conversation
OUT=test-output/bench-desktop
CACHE=.cache/bench-desktop
WAILS=(go tool -modfile="$PWD/tools/go.mod" wails)

# nap SECONDS: sleeps without starting a process (sleep(1) would be one
# more process competing with the app while it starts).
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" || :; }

# seconds_since T: whole seconds from T (an EPOCHREALTIME) to now.
seconds_since() { awk -v t="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.0f", now - t }'; }

# median: the median of the numbers on standard input, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# percentile P: the P-th percentile (nearest rank) of the numbers on standard input.
percentile() {
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; print v[r] }'
}

# descendants PID: PID and every process below it.
descendants() {
	local child
	echo "$1"
	for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$child"; done
}

# tree_pss PID: the PSS in kB of PID's process tree, as "total app web
# network other": PID itself, the WebKitWebProcesses, the
# WebKitNetworkProcess, and whatever else it started.
tree_pss() {
	local root=$1 pid kb comm app=0 web=0 net=0 other=0
	for pid in $(descendants "$root"); do
		kb=$(awk '/^Pss:/ { print $2 }' /proc/"$pid"/smaps_rollup 2>/dev/null) || continue
		comm=$(cat /proc/"$pid"/comm 2>/dev/null) || continue
		[ -n "$kb" ] || continue
		case "$pid:$comm" in
		"$root":*) app=$((app + kb)) ;;
		*:WebKitWebProces*) web=$((web + kb)) ;;
		*:WebKitNetworkPr*) net=$((net + kb)) ;;
		*) other=$((other + kb)) ;;
		esac
	done
	echo "$((app + web + net + other)) $app $web $net $other"
}

# settled_pss PID: tree_pss once the total has settled: sampled every half
# second until, 2 s on at the earliest, it moved less than 1 % over the
# last second; after 20 s the last sample, with a note on standard error.
settled_pss() {
	local pid=$1 i sample total
	local -a totals=()
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || { echo "FAIL: the app exited; its log:" >&2; cat "$WORK/app.log" >&2; return 1; }
		sample=$(tree_pss "$pid")
		total=${sample%% *}
		totals+=("$total")
		if [ "$i" -ge 5 ]; then
			local before=${totals[$((i - 3))]}
			if [ $(((total - before) * 100)) -lt "$before" ] && [ $(((before - total) * 100)) -lt "$before" ]; then
				echo "$sample"
				return 0
			fi
		fi
		nap 0.5
	done
	echo "note: memory still moving after 20 s (pid $pid)" >&2
	echo "$sample"
}

# count_marks NAME: sets MARKS to how many NAME marks the trace holds
# (read by the shell itself, for the same reason).
count_marks() {
	local name
	MARKS=0
	[ -f "$TRACE" ] || return 0
	while read -r _ name _; do [ "$name" = "$1" ] && MARKS=$((MARKS + 1)); done <"$TRACE"
	return 0
}

# wait_marks NAME COUNT SECONDS: waits until the trace holds COUNT NAME marks.
wait_marks() {
	local name=$1 count=$2 i
	for i in $(seq 1 $(($3 * 50))); do
		count_marks "$name"
		[ "$MARKS" -ge "$count" ] && return 0
		kill -0 "$APP_PID" 2>/dev/null || { echo "FAIL: the app exited; its log:" >&2; cat "$WORK/app.log" >&2; return 1; }
		nap 0.02
	done
	import -window root "$OUT/no-$name.png"
	echo "FAIL: no '$name' mark within $3 s (the trace has $MARKS); see $OUT/no-$name.png" >&2
	return 1
}

# mark_field NAME FIELD [N]: field 1 (wall clock, µs) or 3 (ms, rounded) of
# the Nth (default first) NAME mark.
mark_field() { awk -v n="$1" -v f="$2" -v k="${3:-1}" '$2 == n && ++seen == k { printf "%.0f\n", $f; exit }' "$TRACE"; }

# since_t0 US: milliseconds from T0 to US (both wall clock, µs).
since_t0() { echo $((($1 - T0) / 1000)); }

# start_doorstep NAME: starts the app with a fresh trace; T0 (µs) is the
# wall clock just before.
start_doorstep() {
	TRACE=$WORK/trace-$1
	rm -f "$TRACE"
	T0=${EPOCHREALTIME/./}
	DOORSTEP_BENCH_TRACE=$TRACE DOORSTEP_SERVER_URL=$SERVER_URL DOORSTEP_APP_DATA_DIR=$WORK/app \
		build/bin/doorstep >"$WORK/app.log" 2>&1 &
	APP_PID=$!
}

# window_of PID: the visible window PID opened, once it is there; SHOWN is
# when it was found (wall clock, µs; looked for every 50 ms).
window_of() {
	local i wid
	for i in $(seq 1 600); do
		wid=$(xdotool search --onlyvisible --pid "$1" 2>/dev/null | head -n 1) || true
		if [ -n "$wid" ]; then
			SHOWN=${EPOCHREALTIME/./}
			echo "$wid"
			return 0
		fi
		kill -0 "$1" 2>/dev/null || { echo "FAIL: pid $1 exited before its window showed" >&2; return 1; }
		nap 0.05
	done
	echo "FAIL: no window of pid $1 within 30 s" >&2
	return 1
}

# sign_in: the first start. The demo landlord signs in by typing, as in the
# window smoke test; the app then takes in the server's whole history (the
# long conversation's 100,000 messages) before it says it is online. The
# session stays in the keyring for the measured starts.
sign_in() {
	local started=$EPOCHREALTIME wid
	start_doorstep setup
	wid=$(window_of "$APP_PID")
	wait_for_text bench-sign-in "Connected"
	xdotool windowfocus --sync "$wid" 2>/dev/null || true
	xdotool type --delay 15 'landlord@demo.doorstep'
	xdotool key Tab
	xdotool type --delay 15 'doorstep-demo'
	xdotool key Return
	wait_marks list 1 60
	wait_marks online 1 300
	import -window root "$OUT/signed-in.png"
	stop_pid "$APP_PID"
	printf 'signed in; the app took in %d messages in %s s\n' "$MESSAGES" "$(seconds_since "$started")"
}

# doorstep_run N: one cold start of the signed-in app: start to list, idle
# memory, click to thread, memory with it open, typing.
doorstep_run() {
	local run=$1 wid wx wy wh i sample text
	start_doorstep "run$run"
	window_of "$APP_PID" >"$WORK/wid"
	since_t0 "$SHOWN" >>"$RES/window-shown"
	wait_marks list 1 60
	since_t0 "$(mark_field page 1)" >>"$RES/page-started"
	since_t0 "$(mark_field list 1)" >>"$RES/cold-start"
	sample=$(settled_pss "$APP_PID")
	echo "$sample" >>"$RES/idle"
	import -window root "$OUT/doorstep-list.png"

	click_text "${BIG_TENANT%% *}"
	wait_marks thread 1 60
	mark_field thread 3 >>"$RES/open-thread"
	import -window root "$OUT/doorstep-thread.png"
	sample=$(settled_pss "$APP_PID")
	echo "$sample" >>"$RES/thread-open"

	# The compose box runs along the window's bottom edge, right of the list.
	wid=$(cat "$WORK/wid")
	eval "$(xdotool getwindowgeometry --shell "$wid" | sed -n 's/^X=/wx=/p; s/^Y=/wy=/p; s/^HEIGHT=/wh=/p')"
	xdotool mousemove $((wx + 700)) $((wy + wh - 40)) click 1
	text=$(printf 'the boiler was serviced and the radiators bled ' | head -c "$KEYS")
	xdotool type --delay 120 "$text"
	wait_marks key "${#text}" 30
	for i in $(seq 1 "${#text}"); do mark_field key 3 "$i"; done >>"$RES/keys"
	import -window root "$OUT/doorstep-typing.png"
	xdotool key ctrl+a BackSpace # the draft is kept: start the next run empty
	stop_pid "$APP_PID"
	printf 'run %d: Doorstep start to list %s ms, idle %s kB, click to thread %s ms\n' "$run" \
		"$(tail -n 1 "$RES/cold-start")" "$(tail -n 1 "$RES/idle" | cut -d' ' -f1)" "$(tail -n 1 "$RES/open-thread")"
}

# template_run N: the empty Wails template: idle memory once its window is
# shown and settled.
template_run() {
	local run=$1 pid
	T0=${EPOCHREALTIME/./}
	"$TEMPLATE" >"$WORK/template.log" 2>&1 &
	pid=$!
	APP_PID=$pid
	window_of "$pid" >"$WORK/wid"
	since_t0 "$SHOWN" >>"$RES/template-window-shown"
	settled_pss "$pid" >>"$RES/template-idle"
	import -window root "$OUT/template.png"
	stop_pid "$pid"
	printf 'run %d: template idle %s kB\n' "$run" "$(tail -n 1 "$RES/template-idle" | cut -d' ' -f1)"
}

inner() {
	export NO_AT_BRIDGE=1 # no accessibility bus daemons left behind
	export XDG_DATA_HOME=$WORK/xdg # the session's keyring, as in the window smoke test
	if command -v gnome-keyring-daemon >/dev/null; then
		echo -n doorstep-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	fi
	APP_PID=
	trap '[ -n "$APP_PID" ] && stop_pid "$APP_PID"' EXIT
	sign_in
	local run
	for run in $(seq 1 "$RUNS"); do
		doorstep_run "$run"
		template_run "$run"
	done
}

if [ "${1:-}" = inner ]; then
	inner
	exit
fi

# mb KB: kilobytes as megabytes with one decimal.
mb() { awk -v k="$1" 'BEGIN { if (k == "nan") print "?"; else printf "%.1f", k / 1024 }'; }

# column N FILE: the median of field N of FILE's lines.
column() { awk -v f="$1" '{ print $f }' "$2" | median; }

# build_template: the empty Wails svelte-ts template, built once with the
# pinned CLI (and the same WebKitGTK tag as Doorstep).
build_template() {
	local stamp
	stamp="$(grep -F 'github.com/wailsapp/wails/v2 ' tools/go.mod) tags=$TAGS"
	if [ -x "$TEMPLATE" ] && [ "$(cat "$CACHE/template.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "building the empty Wails template (once) in $CACHE/template"
	rm -rf "$CACHE/template"
	(cd "$CACHE" && "${WAILS[@]}" init -n template -t svelte-ts -d template -q -nocolour >/dev/null)
	local tag tags=() # Doorstep's tags but SQLite's: the WebKitGTK one, where needed
	for tag in $TAGS; do [ "$tag" = sqlite_fts5 ] || tags+=("$tag"); done
	(cd "$CACHE/template" && "${WAILS[@]}" build -nocolour ${tags[0]:+-tags "${tags[*]}"} >"$CACHE/template-build.log" 2>&1) || {
		cat "$CACHE/template-build.log" >&2
		return 1
	}
	echo "$stamp" >"$CACHE/template.stamp"
}

# seed_data DIR: a server data directory with the demo landlord and the long
# conversation, copied from the cache (seeded once per version of the
# seeding and the schema).
seed_data() {
	local key seeded
	key=$( (echo "$MESSAGES $BIG_TENANT"; cat internal/bigthread/*.go backend/demo/*.go backend/sqlite/migrations/*) | sha256sum | cut -c1-16)
	seeded=$CACHE/seed-$key
	if [ ! -f "$seeded/doorstep.db" ]; then
		rm -rf "$CACHE"/seed-*
		go run -tags "$TAGS" ./internal/bigthread -data "$seeded.tmp" -tenant "$BIG_TENANT" -messages "$MESSAGES"
		mv "$seeded.tmp" "$seeded"
	fi
	cp -r "$seeded" "$1"
}

started=$EPOCHREALTIME
mkdir -p "$OUT" "$CACHE"
rm -f "$OUT"/*.png
CACHE=$(cd "$CACHE" && pwd)
TEMPLATE=$CACHE/template/build/bin/template
WORK=$(mktemp -d)
RES=$WORK/results
mkdir -p "$RES"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"; rm -rf "$WORK"' EXIT

build_template
seed_data "$WORK/data"

echo "Go side (go test -bench ./app, for context)..."
go test -tags "$TAGS" -run '^$' -bench 'StartToList|OpenBigThread' -benchtime 20x -count 1 ./app >"$OUT/go-bench.txt"
go_ms() { awk -v b="$1" '$1 ~ "^Benchmark" b "(-[0-9]+)?$" { printf "%.1f", $3 / 1e6 }' "$OUT/go-bench.txt"; }

# The events of the seeded history must outlive the cache's age, or the app
# would be told to resync and load the newest pages only.
start_server "$WORK/server.log" 127.0.0.1:0 -data "$WORK/data" -event-retention 87600h
export WORK SERVER_URL RES OUT RUNS KEYS MESSAGES BIG_TENANT TEMPLATE
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- "$0" inner

idle_total=$(column 1 "$RES/idle")
template_total=$(column 1 "$RES/template-idle")
{
	printf '\nDoorstep desktop in WebKitGTK (Xvfb 1280x900), medians of %d runs\n\n' "$RUNS"
	printf '%-58s %12s %12s %8s\n' "" "Doorstep" "template" "ratio"
	printf '%-58s %12s %12s %7.2fx\n' "idle memory, PSS of the process tree (MB)" "$(mb "$idle_total")" "$(mb "$template_total")" \
		"$(awk -v a="$idle_total" -v b="$template_total" 'BEGIN { print a / b }')"
	printf '%-58s %12s %12s\n' "  app process (MB)" "$(mb "$(column 2 "$RES/idle")")" "$(mb "$(column 2 "$RES/template-idle")")"
	printf '%-58s %12s %12s\n' "  WebKitWebProcess (MB)" "$(mb "$(column 3 "$RES/idle")")" "$(mb "$(column 3 "$RES/template-idle")")"
	printf '%-58s %12s %12s\n' "  WebKitNetworkProcess (MB)" "$(mb "$(column 4 "$RES/idle")")" "$(mb "$(column 4 "$RES/template-idle")")"
	printf '%-58s %12s %12s\n' "  other processes (MB)" "$(mb "$(column 5 "$RES/idle")")" "$(mb "$(column 5 "$RES/template-idle")")"
	printf '%-58s %12s %12s\n' "start to window shown (ms)" "$(median <"$RES/window-shown")" "$(median <"$RES/template-window-shown")"
	printf '%-58s %12s\n' "start to the page's script running (ms)" "$(median <"$RES/page-started")"
	printf '%-58s %12s\n' "cold start to conversation list painted (ms)" "$(median <"$RES/cold-start")"
	printf '%-58s %12s\n' "click to thread painted, $MESSAGES messages (ms)" "$(median <"$RES/open-thread")"
	printf '%-58s %12s\n' "memory with that thread open, PSS of the tree (MB)" "$(mb "$(column 1 "$RES/thread-open")")"
	printf '%-58s %12s\n' "typing, key down to painted, p50 (ms; $KEYS keys x $RUNS runs)" "$(percentile 50 <"$RES/keys")"
	printf '%-58s %12s\n' "typing, key down to painted, p95 (ms)" "$(percentile 95 <"$RES/keys")"
	printf '\nGo side alone (go test -bench ./app, mean of 20):\n'
	printf '%-58s %12s\n' "  restore session and read the list (ms)" "$(go_ms StartToList)"
	printf '%-58s %12s\n' "  read the newest page of the 100,000 (ms)" "$(go_ms OpenBigThread)"
} | tee "$OUT/summary.txt"
for f in "$RES"/*; do cp "$f" "$OUT/$(basename "$f").txt"; done
printf '\nper run: %s/*.txt; screenshots: %s/*.png; took %s s\n' "$OUT" "$OUT" "$(seconds_since "$started")"
