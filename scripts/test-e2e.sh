#!/usr/bin/env bash
# Browser end-to-end scenarios: a real doorstep-server, `wails dev` (the real
# Go bindings behind the UI, served at a loopback port) under Xvfb in its own
# D-Bus session, and Playwright driving Debian's Chromium through every
# frontend/e2e/*.test.mjs. Screenshots go to test-output/e2e/.
#
# The native dialogs the Go side opens (file chooser, save dialog) show in
# the wails dev window on that Xvfb display; the scenarios drive them with
# xdotool (frontend/e2e/desktop.mjs), so they are told the display. The app
# has XDG directories of its own: GTK starts from its defaults, and xdg-open
# (the app's Open) finds only a stand-in for the default application, which
# records what it was asked to open.
#
# E2E_FILES picks the scenario files (relative to frontend/), e.g.
#   E2E_FILES=e2e/dialogs.test.mjs scripts/test-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

OUT=$PWD/test-output/e2e
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
DEV_PID=
cleanup() {
	# wails dev runs in its own session (setsid): end the whole group, which
	# takes Xvfb, the D-Bus session, Vite and the app with it.
	if [ -n "$DEV_PID" ]; then
		kill -TERM -- "-$DEV_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 -- "-$DEV_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$DEV_PID" 2>/dev/null || true
	fi
	# Scenarios may have restarted the server: the pid file names the live one.
	[ -s "$WORK/server.pid" ] && stop_pid "$(cat "$WORK/server.pid")" 2>/dev/null
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT

start_server "$WORK/server.log" 127.0.0.1:0 -data "$WORK/data" -demo -access-log on
echo "$SERVER_PID" >"$WORK/server.pid"

# The stand-in default application (xdg-open splits a .desktop Exec on
# spaces, so it lives under $WORK, not in the checkout) appends one line per
# file it opens, "<sha256>\t<path>". BROWSER, xdg-open's last resort, only
# records that it was reached and fails: no browser is ever started.
opened_log=$WORK/opened.log
mkdir -p "$WORK/bin" "$WORK/xdg/applications" "$WORK/config"
cat >"$WORK/bin/doorstep-e2e-open" <<EOF
#!/bin/sh
for f in "\$@"; do
	printf '%s\t%s\n' "\$(sha256sum <"\$f" | cut -d' ' -f1)" "\$f" >>'$opened_log'
done
EOF
cat >"$WORK/bin/doorstep-e2e-no-browser" <<EOF
#!/bin/sh
printf 'browser\t%s\n' "\$*" >>'$opened_log'
exit 1
EOF
chmod +x "$WORK/bin/doorstep-e2e-open" "$WORK/bin/doorstep-e2e-no-browser"
cat >"$WORK/xdg/applications/doorstep-e2e-open.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=Doorstep e2e opener
Exec=$WORK/bin/doorstep-e2e-open %f
NoDisplay=true
EOF
# With XDG_CURRENT_DESKTOP=X-Generic, xdg-open asks xdg-mime, which takes the
# type from `file` and the application from this list (read before the
# system's). MAILCAPS keeps run-mailcap, a later fallback, to an empty list.
{
	echo '[Default Applications]'
	for t in application/pdf text/plain application/octet-stream image/png image/jpeg text/html \
		application/xhtml+xml x-scheme-handler/http x-scheme-handler/https x-scheme-handler/file; do
		echo "$t=doorstep-e2e-open.desktop"
	done
} >"$WORK/config/mimeapps.list"
: >"$WORK/mailcap"

port=$(free_port)
# Run inside the app's D-Bus session: notes the session's address (a
# scenario watches the notifications the app sends there, as a notification
# daemon would receive them), then starts the app.
# shellcheck disable=SC2016 # expanded by that shell, not this one
note_bus='echo "$DBUS_SESSION_BUS_ADDRESS" >"$0"; exec "$@"'
# GOENV keeps `go env -w` settings, whose default place moves with
# XDG_CONFIG_HOME. GTK_THEME pins the look desktop.mjs reads dialogs by.
DOORSTEP_SERVER_URL=$SERVER_URL DOORSTEP_APP_DATA_DIR=$WORK/app XDG_DATA_HOME=$WORK/xdg NO_AT_BRIDGE=1 \
	XDG_CONFIG_HOME=$WORK/config GOENV=$(go env GOENV) GTK_THEME=Adwaita \
	XDG_CURRENT_DESKTOP=X-Generic BROWSER=$WORK/bin/doorstep-e2e-no-browser MAILCAPS=$WORK/mailcap setsid \
	xvfb-run -a -s "-screen 0 1280x900x24" sh -c 'echo "$DISPLAY $XAUTHORITY" >"$0"; note=$1 bus=$2; shift 2
		exec dbus-run-session -- sh -c "$note" "$bus" "$@"' "$WORK/display" "$note_bus" "$WORK/bus" \
	go tool -modfile=tools/go.mod wails dev -tags "sqlite_fts5 $(pkg-config --exists webkit2gtk-4.0 || echo webkit2_41)" \
	-m -nosyncgomod -skipbindings -noreload -nogorebuild -nocolour -devserver "127.0.0.1:$port" \
	>"$WORK/wails-dev.log" 2>&1 &
DEV_PID=$!

app_url="http://127.0.0.1:$port"
echo "e2e: waiting for wails dev at $app_url (a cold start takes about a minute)"
for i in $(seq 1 480); do
	if curl -sf -o /dev/null "$app_url/" 2>/dev/null; then break; fi
	if ! kill -0 "$DEV_PID" 2>/dev/null; then
		echo "wails dev exited; its log:" >&2
		cat "$WORK/wails-dev.log" >&2
		exit 1
	fi
	if [ "$i" -eq 480 ]; then
		echo "wails dev did not serve within 4 minutes; its log:" >&2
		tail -50 "$WORK/wails-dev.log" >&2
		exit 1
	fi
	sleep 0.5
done

read -r display xauthority <"$WORK/display"
read -r session_bus <"$WORK/bus"

cd frontend
# shellcheck disable=SC2206 # E2E_FILES: paths or patterns, split and expanded
files=(${E2E_FILES:-e2e/*.test.mjs})
status=0
DOORSTEP_E2E_APP_URL=$app_url DOORSTEP_E2E_SERVER_URL=$SERVER_URL DOORSTEP_E2E_OUTPUT=$OUT \
	DOORSTEP_E2E_SERVER_BIN=$PWD/../build/bin/doorstep-server DOORSTEP_E2E_SERVER_DATA=$WORK/data \
	DOORSTEP_E2E_SERVER_PIDFILE=$WORK/server.pid \
	DOORSTEP_E2E_DISPLAY=$display DOORSTEP_E2E_XAUTHORITY=$xauthority DOORSTEP_E2E_SESSION_BUS=$session_bus \
	DOORSTEP_E2E_APP_DATA=$WORK/app DOORSTEP_E2E_OPENED_LOG=$opened_log \
	node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- wails dev log (last 40 lines) ---" >&2
	tail -40 "$WORK/wails-dev.log" >&2
	echo "--- server log (last 20 lines) ---" >&2
	tail -20 "$WORK/server.log" >&2
fi
exit "$status"
