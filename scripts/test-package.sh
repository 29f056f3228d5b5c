#!/usr/bin/env bash
# Package test (make test-package): the Linux packages in DIR (default
# build/package, made by `make package`) are checked as an operator meets them.
#
#   1. Reproducible: the same sources built again at another path give the
#      same bytes (SHA-256); a difference is narrowed down to the files.
#   2. lintian passes (warnings and infos too; what remains is overridden,
#      with the reason, in packaging/*/lintian-overrides).
#   3. Installed on this machine: an older doorstep-server (the same sources
#      with a lower VERSION) is installed, makes its system user and data
#      directory, starts from its unit as that user and keeps a message; the
#      new packages upgrade it with dpkg -i: the data is untouched, a changed
#      setting kept, the message still served, /healthz reports the version.
#      The unit passes systemd-analyze verify.
#   4. The installed desktop app (/usr/bin/doorstep) opens a real window
#      under Xvfb, shows its sign-in screen connected to that server, and its
#      About box: test-output/package-installed-*.png.
#   5. dpkg -r keeps /var/lib/doorstep; dpkg --purge too; at the end (also on
#      failure) everything the test installed or made is removed again.
#
# This machine has no systemd running, so the service is started as systemd
# would: the unit's ExecStart, as its User, with its Environment and
# EnvironmentFile. The test refuses to run where Doorstep is installed
# already (it would remove it), or without root.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

OUT=test-output
VERSION=${VERSION:-$(scripts/version.sh)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export VERSION SOURCE_DATE_EPOCH
OLD_VERSION=0.0.0-dev.1+gupgrade # any version below every real one
UNIT=/lib/systemd/system/doorstep-server.service
OK_COLOUR='#0b7a53' # --ok in frontend/src/palette.css: the connected banner

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# --- Before anything: this machine must have no Doorstep of its own. ---
prepare() {
	[ "$(id -u)" -eq 0 ] || fail "run as root: the test installs packages (and removes them afterwards)"
	for p in doorstep doorstep-server; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
			fail "package $p is installed here; the test would remove it. Remove it first (dpkg --purge $p)."
		fi
	done
	getent passwd doorstep >/dev/null && fail "a user doorstep exists here; the test would remove it"
	getent group doorstep >/dev/null && fail "a group doorstep exists here; the test would remove it"
	for d in /var/lib/doorstep /var/log/doorstep /etc/default/doorstep-server; do
		[ -e "$d" ] && fail "$d exists here; the test would remove it"
	done

	DIR=$1
	debs=("$DIR"/doorstep_*_amd64.deb "$DIR"/doorstep-server_*_amd64.deb)
	for f in "${debs[@]}"; do [ -f "$f" ] || fail "no $f: run make package first"; done
	SERVER_DEB=$(ls "$DIR"/doorstep-server_*_amd64.deb)
	APP_DEB=$(ls "$DIR"/doorstep_*_amd64.deb)
	DEBVER=$(dpkg-deb -f "$SERVER_DEB" Version)
	mkdir -p "$OUT"
	WORK=$(mktemp -d)
	chmod 0755 "$WORK" # the doorstep user reads the test's helper files
}

# --- 1. Reproducible ---
reproducible() {
	local src=$WORK/src again=$WORK/again f diffs=0
	mkdir -p "$src"
	# The same files as this checkout, committed or not, at another path.
	git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -C "$src" -xf -
	ln -s "$PWD/frontend/node_modules" "$src/frontend/node_modules"
	(cd "$src" && scripts/package-linux.sh "$again") >"$WORK/again.log" 2>&1 ||
		{ cat "$WORK/again.log" >&2; fail "the second build failed"; }
	for f in "$DIR"/doorstep*_amd64.deb "$DIR"/doorstep*_linux_*.tar.gz; do
		local name
		name=$(basename "$f")
		if [ ! -f "$again/$name" ]; then
			echo "not reproducible: the second build made no $name" >&2
			diffs=1
		elif [ "$(sha256sum <"$f")" != "$(sha256sum <"$again/$name")" ]; then
			echo "not reproducible: $name differs; the files that differ:" >&2
			explain_difference "$f" "$again/$name" >&2
			diffs=1
		fi
	done
	[ "$diffs" -eq 0 ] || fail "two builds of the same sources differ"
	echo "package: reproducible: a second build at another path gave the same $(find "$again" -type f | wc -l) files, byte for byte"
}

# explain_difference A B: which files inside two packages differ.
explain_difference() {
	local a=$WORK/diff-a b=$WORK/diff-b
	rm -rf "$a" "$b"
	mkdir -p "$a" "$b"
	case "$1" in
	*.deb)
		dpkg-deb -R "$1" "$a"
		dpkg-deb -R "$2" "$b"
		dpkg-deb --fsys-tarfile "$1" | tar -tv >"$a.list"
		dpkg-deb --fsys-tarfile "$2" | tar -tv >"$b.list"
		;;
	*)
		tar -C "$a" -xzf "$1"
		tar -C "$b" -xzf "$2"
		tar -tvzf "$1" >"$a.list"
		tar -tvzf "$2" >"$b.list"
		;;
	esac
	diff -r -q "$a" "$b" || true
	diff "$a.list" "$b.list" || true
	cmp "$1" "$2" || true
}

# --- 2. lintian ---
lint() {
	local log=$WORK/lintian.log
	# As an ordinary user, as lintian prefers; it only reads the packages.
	chmod a+r "${debs[@]}"
	if ! runuser -u nobody -- env HOME="$WORK" lintian --pedantic --display-info --fail-on error,warning,info,pedantic \
		"${debs[@]}" >"$log" 2>&1; then
		cat "$log" >&2
		fail "lintian found problems (fix them, or override them with the reason in packaging/*/lintian-overrides)"
	fi
	echo "package: lintian: no error, warning, info or pedantic tag ($(grep -c . "$log" || true) lines of output)"
}

# --- 3. Install, run, upgrade ---
# dpkg_do ARGS...: dpkg, waiting for another apt or dpkg to finish first.
dpkg_do() {
	for _ in $(seq 1 600); do
		if dpkg --force-confdef --force-confold "$@" >"$WORK/dpkg.log" 2>&1; then return 0; fi
		grep -q 'lock' "$WORK/dpkg.log" || { cat "$WORK/dpkg.log" >&2; return 1; }
		sleep 1
	done
	cat "$WORK/dpkg.log" >&2
	return 1
}

# unit_value KEY: every value of KEY= in the installed unit, one a line.
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }

SERVER_PID=${SERVER_PID:-}
APP_PID=${APP_PID:-}
SERVER_URL=${SERVER_URL:-}
# start_installed_server: doorstep-server as systemd would start it from the
# installed unit (ExecStart as User, Environment, then EnvironmentFile),
# listening on a free loopback port instead of 8765.
start_installed_server() {
	local user envfile port envs=() line
	user=$(unit_value User)
	envfile=$(unit_value EnvironmentFile)
	envfile=${envfile#-}
	while read -r line; do [ -n "$line" ] && envs+=("$line"); done < <(unit_value Environment)
	if [ -r "$envfile" ]; then
		while read -r line; do
			case "$line" in '' | '#'*) ;; *) envs+=("$line") ;; esac
		done <"$envfile"
	fi
	port=$(free_port)
	envs+=("DOORSTEP_ADDR=127.0.0.1:$port")
	read -r -a exec <<<"$(unit_value ExecStart)"
	# setpriv changes user and execs, as systemd does (no PAM session, no
	# process in between): SERVER_PID is the server.
	(cd / && umask "$(unit_value UMask)" && exec setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs \
		-- env -i PATH=/usr/bin:/bin "${envs[@]}" "${exec[@]}") >>"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	SERVER_URL=http://127.0.0.1:$port
	doorstep-server health -url "$SERVER_URL" -wait 30s >/dev/null || { cat "$WORK/server.log" >&2; fail "the installed server did not become healthy"; }
	[ "$(ps -o user= -p "$SERVER_PID")" = "$user" ] || fail "the server does not run as $user"
}

# health_version: the version the running server reports.
health_version() { curl -fsS "$SERVER_URL/healthz" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).version))'; }

# chat write TEXT: as the demo landlord, writes TEXT into a conversation
# and prints its id; chat check TEXT ID: checks that the server serves it.
chat() {
	node - "$SERVER_URL" "$@" <<'EOF'
const [url, action, text, conversation] = process.argv.slice(2);
const api = async (path, init = {}) => {
  const r = await fetch(url + path, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
};
const { token } = await api('/api/v1/auth/signin', { method: 'POST', body: JSON.stringify({ email: 'landlord@demo.doorstep', password: 'doorstep-demo' }) });
const auth = { authorization: `Bearer ${token}` };
if (action === 'write') {
  const conversations = await api('/api/v1/conversations', { headers: auth });
  const { id } = conversations.find((c) => !c.read_only);
  await api(`/api/v1/conversations/${id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ key: 'package-test-1', text }) });
  console.log(id);
} else {
  const page = await api(`/api/v1/conversations/${conversation}/messages?limit=100`, { headers: auth });
  const messages = Array.isArray(page) ? page : page.messages;
  if (!messages.some((m) => m.text === text)) throw new Error(`message "${text}" not served`);
}
EOF
}

# data_listing: every file of the data directory with owner, mode and SHA-256.
data_listing() {
	(cd /var/lib/doorstep && find . -printf '%p %u:%g %m\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

install_and_upgrade() {
	echo "package: building doorstep-server $OLD_VERSION to upgrade from"
	VERSION=$OLD_VERSION PACKAGES=server scripts/package-linux.sh "$WORK/old" >"$WORK/old.log" 2>&1 ||
		{ cat "$WORK/old.log" >&2; fail "building the older server package failed"; }
	local old_deb
	old_deb=$(ls "$WORK"/old/doorstep-server_*_amd64.deb)
	dpkg --compare-versions "$(dpkg-deb -f "$old_deb" Version)" lt "$DEBVER" || fail "$OLD_VERSION does not sort below $VERSION"

	INSTALLED=1
	dpkg_do -i "$old_deb" || fail "dpkg -i $old_deb failed"
	local uid home
	IFS=: read -r _ _ uid _ _ home _ < <(getent passwd doorstep) || fail "no doorstep user after install"
	[ "$uid" -lt 1000 ] || fail "the doorstep user is not a system user (uid $uid)"
	[ "$(stat -c '%U:%G %a' /var/lib/doorstep)" = "doorstep:doorstep 750" ] ||
		fail "/var/lib/doorstep is $(stat -c '%U:%G %a' /var/lib/doorstep), want doorstep:doorstep 750"
	[ "$(stat -c '%U %a' /etc/default/doorstep-server)" = "root 600" ] || fail "/etc/default/doorstep-server is not root's, 0600"
	echo "package: $OLD_VERSION installed: system user doorstep (uid $uid, home $home), /var/lib/doorstep 0750, settings 0600"

	runuser -u doorstep -- doorstep-server demo -data /var/lib/doorstep >/dev/null
	start_installed_server
	[ "$(health_version)" = "$OLD_VERSION" ] || fail "the old server reports $(health_version), want $OLD_VERSION"
	local text="Written before the upgrade to $VERSION"
	local conversation
	conversation=$(chat write "$text")
	stop_pid "$SERVER_PID"
	# An operator's setting, which the upgrade must keep.
	echo "DOORSTEP_ACCESS_LOG=on" >>/etc/default/doorstep-server
	data_listing >"$WORK/data-before"

	dpkg_do -i "$SERVER_DEB" "$APP_DEB" || fail "dpkg -i (upgrade) failed"
	[ "$(dpkg-query -W -f='${Version}' doorstep-server)" = "$DEBVER" ] || fail "doorstep-server is not at $DEBVER after the upgrade"
	data_listing >"$WORK/data-after"
	diff "$WORK/data-before" "$WORK/data-after" >&2 || fail "the upgrade changed /var/lib/doorstep"
	grep -qx "DOORSTEP_ACCESS_LOG=on" /etc/default/doorstep-server || fail "the upgrade lost a changed setting"
	echo "package: upgraded to $DEBVER with dpkg -i: /var/lib/doorstep untouched ($(grep -c '^\./' "$WORK/data-after") entries), the changed setting kept"

	# The unit as installed; man: the Documentation= page must be there too.
	systemd-analyze verify "$UNIT" >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify $UNIT"; }
	local exposure
	exposure=$(systemd-analyze security --offline=yes "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]* [A-Z]*\).*/\1/p')
	echo "package: systemd-analyze verify: clean; security: exposure $exposure"

	: >"$WORK/server.log"
	start_installed_server
	[ "$(health_version)" = "$VERSION" ] || fail "the upgraded server reports $(health_version), want $VERSION"
	chat check "$text" "$conversation"
	grep -q 'path=/healthz status=200' "$WORK/server.log" || fail "the setting from /etc/default/doorstep-server (access log on) was not used"
	echo "package: the upgraded server runs as doorstep from its unit, reports $VERSION on /healthz, still serves the message"
}

# --- 4. The installed desktop app ---
# shot_until NAME WORDS...: screenshots with OCR until every word is on
# screen (60 s at most); keeps the last one as $OUT/package-installed-NAME.png.
# DIALOG=1: the words are in the dialog on screen.
shot_until() {
	local name=$1 w missing scale
	shift
	for _ in $(seq 1 60); do
		kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; fail "the installed app exited"; }
		import -window root "$WORK/shot.png"
		# Twice the size reads small print. A dialog (white, --surface, over
		# the page dimmed grey) is read alone, at three sizes: the page
		# around it confuses tesseract's layout analysis, and each size
		# misreads a different letter of a commit hash now and then (1d as
		# 1ld); a word passes when one of them reads it.
		if [ -n "${DIALOG:-}" ]; then
			convert "$WORK/shot.png" -crop "$(convert "$WORK/shot.png" -alpha off -fill black +opaque '#ffffff' -format '%@' info:)" \
				+repage "$WORK/dialog.png"
			: >"$WORK/ocr.txt"
			for scale in 100 200 300; do
				convert "$WORK/dialog.png" -resize "$scale%" "$WORK/ocr.png"
				tesseract "$WORK/ocr.png" "$WORK/ocr-$scale" >/dev/null 2>&1 && cat "$WORK/ocr-$scale.txt" >>"$WORK/ocr.txt"
			done
		else
			convert "$WORK/shot.png" -resize 200% "$WORK/ocr.png"
			tesseract "$WORK/ocr.png" "$WORK/ocr" >/dev/null 2>&1 || : >"$WORK/ocr.txt"
		fi
		missing=
		for w in "$@"; do grep -qF "$w" "$WORK/ocr.txt" || missing="$missing [$w]"; done
		if [ -z "$missing" ]; then
			cp "$WORK/shot.png" "$OUT/package-installed-$name.png"
			return 0
		fi
		sleep 1
	done
	cp "$WORK/shot.png" "$OUT/package-installed-$name.png"
	fail "installed app: not on screen:$missing; see $OUT/package-installed-$name.png"
}

desktop_inner() {
	export NO_AT_BRIDGE=1 XDG_DATA_HOME=$WORK/xdg
	echo -n doorstep-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	(cd / && DOORSTEP_APP_DATA_DIR=$WORK/app exec /usr/bin/doorstep -server "$SERVER_URL") >"$WORK/app.log" 2>&1 &
	APP_PID=$!
	trap 'stop_pid $APP_PID' EXIT
	shot_until app "Sign in" "Connected to"
	local ok
	ok=$(printf '%.0f' "$(convert "$OUT/package-installed-app.png" -alpha off -fill black +opaque "$OK_COLOUR" \
		-fill white -opaque "$OK_COLOUR" -format '%[fx:mean*w*h]' info:)")
	[ "$ok" -ge 20000 ] || fail "installed app: no connected banner ($ok px of $OK_COLOUR)"
	xdotool search --name '^Doorstep( \([0-9]+\))?$' >/dev/null || fail "installed app: no window titled Doorstep"
	# The About box, from the header.
	local x y w h
	read -r x y w h < <(locate_text "$WORK/shot.png" About) || fail "no About button on screen"
	xdotool mousemove $((x + w / 2)) $((y + h / 2)) click 1
	# Both versions are the same string; which field shows which is the
	# unit tests' (app, frontend) business.
	DIALOG=1 shot_until about "App version" "Server version" "$VERSION" "$SERVER_URL"
}

check_desktop() {
	[ "$(/usr/bin/doorstep --version)" = "doorstep $VERSION" ] || fail "doorstep --version says $(/usr/bin/doorstep --version)"
	[ -f /usr/share/applications/doorstep.desktop ] || fail "no /usr/share/applications/doorstep.desktop"
	local s
	for s in 16 24 32 48 64 128 256 512; do
		[ "$(identify -format '%wx%h' "/usr/share/icons/hicolor/${s}x$s/apps/doorstep.png")" = "${s}x$s" ] || fail "icon ${s}x$s"
	done
	export WORK SERVER_URL VERSION OUT
	# The session's daemons talk on stderr: shown only when the check fails.
	if ! xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- "$0" desktop-inner >"$WORK/session.log" 2>&1; then
		grep -v '^dbus-daemon\|^SpiRegistry' "$WORK/session.log" >&2
		fail "the installed desktop app"
	fi
	echo "package: /usr/bin/doorstep --version says $VERSION; the installed app opened its window, connected to the server, showed its sign-in screen, and its About box the version ($OUT/package-installed-app.png, -about.png)"
}

# --- 5. Remove, purge, and leave the machine as it was ---
remove_and_purge() {
	stop_pid "$SERVER_PID"
	data_listing >"$WORK/data-before-remove"
	dpkg_do -r doorstep-server doorstep || fail "dpkg -r failed"
	if [ -e /usr/bin/doorstep-server ] || [ -e /usr/bin/doorstep ]; then fail "dpkg -r left the programs"; fi
	[ -f /etc/default/doorstep-server ] || fail "dpkg -r removed the settings (a conffile stays until purge)"
	data_listing | diff "$WORK/data-before-remove" - >&2 || fail "dpkg -r changed /var/lib/doorstep"
	dpkg_do --purge doorstep-server doorstep || fail "dpkg --purge failed"
	[ ! -e /etc/default/doorstep-server ] || fail "dpkg --purge left /etc/default/doorstep-server"
	data_listing | diff "$WORK/data-before-remove" - >&2 || fail "dpkg --purge changed /var/lib/doorstep"
	getent passwd doorstep >/dev/null || fail "dpkg --purge removed the doorstep user, who owns the data"
	echo "package: dpkg -r and dpkg --purge kept /var/lib/doorstep and its owner; purge removed the settings"
}

INSTALLED=
cleanup() {
	local rc=$?
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
	if [ -n "$INSTALLED" ]; then
		dpkg_do --purge doorstep-server doorstep || echo "cleanup: dpkg --purge failed" >&2
		# What the packages leave on purpose, made by this test only (checked
		# at the start).
		if getent passwd doorstep >/dev/null; then userdel doorstep || true; fi
		if getent group doorstep >/dev/null; then groupdel doorstep || true; fi
		rm -rf /var/lib/doorstep /var/log/doorstep
		local left
		left=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
			-name '*doorstep*' 2>/dev/null || true)
		if [ -n "$left" ]; then
			echo "cleanup: left behind: $left" >&2
			rc=1
		fi
	fi
	rm -rf "$WORK"
	exit "$rc"
}

if [ "${1:-}" = desktop-inner ]; then
	desktop_inner
	exit
fi

prepare "${1:-build/package}"
trap cleanup EXIT
reproducible
lint
install_and_upgrade
check_desktop
remove_and_purge
echo "package test: passed"
