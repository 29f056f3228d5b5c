#!/usr/bin/env bash
# `make run`: starts doorstep-server (data in the user's data directory, or
# DOORSTEP_DATA_DIR; address DOORSTEP_ADDR), waits until it is healthy, prints
# a tenant-portal link for a demo tenant, opens the desktop app pointed at it,
# and stops the server when the app is closed. A doorstep-server that is
# already running at the address is used as it is and left running.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

addr=${DOORSTEP_ADDR:-127.0.0.1:8765}
url="http://$addr"

if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	echo "make run opens a window, and this session has no display (DISPLAY and WAYLAND_DISPLAY are unset)." >&2
	echo "Run it from a desktop session, or run the server alone: build/bin/doorstep-server" >&2
	exit 1
fi

SERVER_PID=
trap '[ -n "$SERVER_PID" ] && { echo "stopping doorstep-server"; stop_pid "$SERVER_PID"; }' EXIT

if build/bin/doorstep-server health -url "$url" >/dev/null 2>&1; then
	echo "using the doorstep-server already running at $url"
else
	# The server reads DOORSTEP_DATA_DIR itself and otherwise uses the user's
	# data directory; its first log line says which.
	log_dir=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-run.XXXXXX")
	log="$log_dir/server.log"
	echo "starting doorstep-server at $url (log: $log)"
	# -demo seeds a demo landlord the first time (an empty database only).
	start_server "$log" "$addr" -demo
	grep -E '^(demo:|doorstep-server .* listening)' "$log" || true
	url=$SERVER_URL
fi

# A link into the tenant portal, so one person can play both sides. It is
# made in the database the server uses (DOORSTEP_DATA_DIR or the default, as
# for the server); without the demo tenant there is none, and that is fine.
if out=$(build/bin/doorstep-server portal-link -tenant maria.garcia@example.com -public-url "$url" 2>&1) &&
	link=$(printf '%s\n' "$out" | grep -m1 '/portal/i/'); then
	echo "tenant portal as the demo tenant Maria Garcia (single-use link; start a chat with her in the app, answer it in the browser):"
	echo "  $link"
else
	echo "no tenant-portal link for the demo tenant: ${out#doorstep-server: }"
fi

echo "opening Doorstep; close its window to stop"
build/bin/doorstep -server "$url"
