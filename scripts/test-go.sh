#!/usr/bin/env bash
# Go tests with the race detector. On Linux they run inside their own D-Bus
# session with an unlocked gnome-keyring, so the keychain tests use the real
# Secret Service (DOORSTEP_KEYRING=1 tells them it is there) and nothing
# touches the desktop session's keyring.
# Usage: scripts/test-go.sh "TAGS" [go test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
tags=$1
shift

if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
	echo "test-go: no dbus-run-session/gnome-keyring: keychain tests will be skipped" >&2
	exec go test -race -tags "$tags" "$@" ./...
fi

keyring=$(mktemp -d)
trap 'rm -rf "$keyring"' EXIT
# XDG_DATA_HOME puts the test keyring in a temporary directory.
XDG_DATA_HOME=$keyring dbus-run-session -- bash -c '
	set -euo pipefail
	echo -n doorstep-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	DOORSTEP_KEYRING=1 go test -race -tags "$0" "${@}" ./...
' "$tags" "$@"
