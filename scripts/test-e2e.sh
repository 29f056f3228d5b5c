#!/usr/bin/env bash
# Browser end-to-end scenarios: a real doorstep-server, `wails dev` (the real
# Go bindings behind the UI, served at a loopback port) under Xvfb in its own
# D-Bus session, and Playwright driving Debian's Chromium through every
# frontend/e2e/*.test.mjs. Screenshots go to test-output/e2e/.
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

start_server "$WORK/server.log" 127.0.0.1:0 -data "$WORK/data" -demo
echo "$SERVER_PID" >"$WORK/server.pid"

port=$(free_port)
DOORSTEP_SERVER_URL=$SERVER_URL DOORSTEP_APP_DATA_DIR=$WORK/app XDG_DATA_HOME=$WORK/xdg NO_AT_BRIDGE=1 setsid \
	xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- \
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

cd frontend
status=0
DOORSTEP_E2E_APP_URL=$app_url DOORSTEP_E2E_SERVER_URL=$SERVER_URL DOORSTEP_E2E_OUTPUT=$OUT \
	DOORSTEP_E2E_SERVER_BIN=$PWD/../build/bin/doorstep-server DOORSTEP_E2E_SERVER_DATA=$WORK/data \
	DOORSTEP_E2E_SERVER_PIDFILE=$WORK/server.pid \
	node --test --test-concurrency=1 --test-reporter=spec e2e/*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- wails dev log (last 40 lines) ---" >&2
	tail -40 "$WORK/wails-dev.log" >&2
	echo "--- server log (last 20 lines) ---" >&2
	tail -20 "$WORK/server.log" >&2
fi
exit "$status"
