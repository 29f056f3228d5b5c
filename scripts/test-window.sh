#!/usr/bin/env bash
# Window smoke test: the real desktop app in a real window (Xvfb, inside its
# own D-Bus session) against a real doorstep-server.
#
# It passes only if, in screenshots of the X screen:
#   1. the "Connected to <server>" banner is painted (a block of the --ok
#      colour that the UI draws only after the Go ConnectionService answered
#      "connected"), and the server logged the desktop app's /healthz call;
#   2. after the demo landlord signs in (typed into the window with xdotool),
#      the conversation list of the demo landlord is on screen (read back with
#      OCR: tenants' names from the server's demo data);
#   3. after the server is stopped, the app says it is offline and still shows
#      the cached conversations.
# A blank, crashed or frozen window fails all three.
# Screenshots: test-output/window-connected.png, window-conversations.png, window-offline.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

OK_COLOUR='#0b7a53'     # --ok in frontend/src/style.css
DANGER_COLOUR='#b42318' # --danger
OUT=test-output

# pixels COLOUR FILE: how many pixels of FILE are exactly COLOUR.
pixels() {
	printf '%.0f' "$(convert "$2" -alpha off -fill black +opaque "$1" -fill white -opaque "$1" -format '%[fx:mean*w*h]' info:)"
}

# wait_for_text NAME WORDS...: screenshots (OCR) every second for up to 60 s
# until every word is on screen; keeps the last one as $OUT/NAME.png.
wait_for_text() {
	local name=$1 i w missing
	shift
	for i in $(seq 1 60); do
		kill -0 "$APP_PID" 2>/dev/null || { echo "FAIL: the app exited; its log:" >&2; cat "$WORK/app.log" >&2; return 1; }
		import -window root "$WORK/shot.png"
		tesseract "$WORK/shot.png" "$WORK/ocr" >/dev/null 2>&1 || true
		missing=
		for w in "$@"; do grep -qF "$w" "$WORK/ocr.txt" || missing="$missing [$w]"; done
		if [ -z "$missing" ]; then
			cp "$WORK/shot.png" "$OUT/$name.png"
			return 0
		fi
		sleep 1
	done
	cp "$WORK/shot.png" "$OUT/$name.png"
	echo "FAIL: $name: not on screen:$missing; see $OUT/$name.png" >&2
	return 1
}

# wait_for_screen TEST NAME: screenshots every 0.5 s for up to 60 s until
# TEST (a shell condition on $ok and $danger) holds; keeps the last one as
# $OUT/NAME.png. Fails if the app exits meanwhile.
wait_for_screen() {
	local cond=$1 name=$2 i
	for i in $(seq 1 120); do
		kill -0 "$APP_PID" 2>/dev/null || { echo "FAIL: the app exited; its log:" >&2; cat "$WORK/app.log" >&2; return 1; }
		import -window root "$WORK/shot.png"
		ok=$(pixels "$OK_COLOUR" "$WORK/shot.png")
		danger=$(pixels "$DANGER_COLOUR" "$WORK/shot.png")
		if eval "$cond"; then
			cp "$WORK/shot.png" "$OUT/$name.png"
			return 0
		fi
		sleep 0.5
	done
	cp "$WORK/shot.png" "$OUT/$name.png"
	echo "FAIL: $name: the screen never showed it ($ok $OK_COLOUR px, $danger $DANGER_COLOUR px); see $OUT/$name.png" >&2
	return 1
}

inner() {
	export NO_AT_BRIDGE=1 # no accessibility bus daemons left behind
	# A keyring the app may start lives in the test's directory, not the user's.
	export XDG_DATA_HOME=$WORK/xdg
	DOORSTEP_SERVER_URL=$SERVER_URL DOORSTEP_APP_DATA_DIR=$WORK/app build/bin/doorstep >"$WORK/app.log" 2>&1 &
	APP_PID=$!
	trap 'stop_pid $APP_PID' EXIT

	wait_for_screen '[ "$ok" -ge 20000 ]' window-connected
	echo "window: connected banner painted ($ok px)"
	if ! xdotool search --name '^Doorstep$' >/dev/null; then
		echo "FAIL: no window titled Doorstep" >&2
		return 1
	fi
	if ! grep -q 'path=/healthz status=200 .*client=doorstep-desktop/' "$WORK/server.log"; then
		echo "FAIL: the server never saw the desktop app's health check" >&2
		return 1
	fi

	# Sign in as the demo landlord by typing into the window (the e-mail field
	# has the focus).
	wid=$(xdotool search --name '^Doorstep$' | head -n 1)
	xdotool windowfocus --sync "$wid" 2>/dev/null || true
	xdotool type --delay 15 'landlord@demo.doorstep'
	xdotool key Tab
	xdotool type --delay 15 'doorstep-demo'
	xdotool key Return
	wait_for_text window-conversations "Pat Morgan" "Olivia Brown" "James Okafor" "Maple Court"
	echo "window: signed in, the demo landlord's conversations are listed"

	stop_pid "$SERVER_PID"
	wait_for_text window-offline "Offline" "Olivia Brown" "James Okafor"
	echo "window: server stopped, the app is offline and still shows the cached conversations"
}

if [ "${1:-}" = inner ]; then
	inner
	exit
fi

mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"; rm -rf "$WORK"' EXIT
start_server "$WORK/server.log" 127.0.0.1:0 -data "$WORK/data" -demo
export WORK SERVER_PID SERVER_URL
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- "$0" inner
echo "window smoke test: passed (screenshots in $OUT/)"
