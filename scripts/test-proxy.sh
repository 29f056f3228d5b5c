#!/usr/bin/env bash
# Reverse-proxy test (make test-package): the nginx configuration and the
# Caddyfile of docs/deploy.md ("Behind a reverse proxy"), read from the
# document itself, run with Debian's nginx and caddy in front of a real
# doorstep-server, and checked over HTTPS as browsers and the desktop app
# use them: /healthz; the websocket carries a live event (the Go client,
# backend/client's TestBehindReverseProxy); a read timeout above the
# server's 60 s; a 25 MB upload in one request, a larger one answered by the
# server itself, and one above the proxy's limit refused (413); a resumable
# upload's 4 MB chunk; X-Forwarded-For; cookies marked Secure from
# X-Forwarded-Proto; Host kept, port included; http redirecting to https.
#
# Only what a test machine needs is changed in the snippets (each change is
# explained where it is made): the server's name, the ports, and the
# certificates, a throwaway self-signed one. A snippet that needs a frame
# (nginx's http {} block, Caddy's global options) gets it around it.
#
# Each proxy runs as a process of its own, in a temporary directory, on free
# loopback ports; the system's services are never started. Needs root: it
# installs nginx and caddy when they are missing, and runs the Go client in
# a mount namespace of its own, where the test's server name is in
# /etc/hosts (Go resolves names itself; curl is told with --resolve).
#
# Usage: scripts/test-proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

started=$(date +%s)
DOC=docs/deploy.md
SECTION='## Behind a reverse proxy'
# The server's name in the snippets, and the name the test gives it instead:
# .test is reserved (RFC 2606), so it never reaches a real host.
DOC_NAME='chat\.example\.org'
NAME=chat.doorstep.test
# A demo tenant with an active lease (backend/demo), for a portal link.
TENANT=maria.garcia@example.com
# Where the test's requests come from: not 127.0.0.1, the proxies' own
# address, so the server's log shows whether it took the client's address
# from the proxy's X-Forwarded-For (see the X-Forwarded-For checks).
CLIENT_ADDR=127.0.0.2

if [ "$(id -u)" -ne 0 ]; then
	echo "test-proxy: run as root (it installs nginx and caddy, and uses a mount namespace)" >&2
	exit 1
fi

tmp=$(mktemp -d)
# nginx's workers run as nobody: they must reach the temporary directories
# its master makes for them in here (and nothing else; the key is 0600).
chmod 0711 "$tmp"
pids=()
policy_made=
cleanup() {
	local pid
	for pid in "${pids[@]}"; do stop_pid "$pid"; done
	[ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# --- Packages ---------------------------------------------------------------
missing=()
for p in nginx caddy curl openssl; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	echo "test-proxy: installing ${missing[*]}"
	# Their maintainer scripts would start the system's nginx (port 80) and
	# Caddy: policy-rc.d refusing everything keeps them stopped. One that
	# is there already is the machine's own policy, left as it is.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# Written by scripts/test-proxy.sh while it installs packages.\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		policy_made=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q -o DPkg::Lock::Timeout=600
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
	if [ -n "$policy_made" ]; then
		rm -f /usr/sbin/policy-rc.d
		policy_made=
	fi
fi
# Everything below talks to loopback only.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# --- Snippets, certificate, binaries ----------------------------------------

# snippet LANG: the one ```LANG block in the section SECTION of DOC.
snippet() {
	awk -v lang="$1" -v section="$SECTION" '
		/^## / { inside = ($0 == section) }
		inside && $0 == "```" lang { block = 1; n++; next }
		block && $0 == "```" { block = 0; next }
		block { print }
		END { exit n == 1 ? 0 : 1 }' "$DOC" || {
		echo "test-proxy: $DOC has no single \`\`\`$1 block under \"$SECTION\"" >&2
		exit 1
	}
}
snippet nginx >"$tmp/nginx.snippet"
snippet caddy >"$tmp/caddy.snippet"

# A certificate for NAME, which the proxies serve and the clients trust
# (curl --cacert, Go's SSL_CERT_FILE).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=$NAME" -addext "subjectAltName=DNS:$NAME" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

version=$(scripts/version.sh)
go build -tags sqlite_fts5 -ldflags "-X doorstep/backend.Version=$version" -o "$tmp/doorstep-server" ./backend/cmd/doorstep-server
go test -tags sqlite_fts5 -c -o "$tmp/client.test" ./backend/client
server=$tmp/doorstep-server
# What the Go client resolves NAME with (see run_client_test).
{
	cat /etc/hosts
	echo "127.0.0.1 $NAME"
} >"$tmp/hosts"

# --- Helpers -----------------------------------------------------------------
# The proxy under test: its name, directory and ports.
proxy='' dir='' https_port='' http_port='' server_port='' server_pid=''

# through PATH [CURL ARGS...]: curl to NAME through the proxy under test,
# over HTTPS, trusting the throwaway certificate.
through() {
	local path=$1
	shift
	curl -sS --max-time 60 --cacert "$tmp/cert.pem" --resolve "$NAME:$https_port:127.0.0.1" "$@" "https://$NAME:$https_port$path"
}

# start_proxy_server: starts doorstep-server for the proxy under test, as
# the section tells operators to: on loopback, with -public-url its address
# through the proxy. Its log tells where each request came from.
# -trusted-proxies names only the proxies' own address (the default,
# 127.0.0.0/8, would also take CLIENT_ADDR for a proxy).
start_proxy_server() {
	"$server" serve -addr "127.0.0.1:$server_port" -data "$dir/data" -demo \
		-public-url "https://$NAME:$https_port" -access-log on -trusted-proxies 127.0.0.1 \
		>"$dir/server.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	"$server" health -url "http://127.0.0.1:$server_port" -wait 30s >/dev/null || {
		cat "$dir/server.log" >&2
		return 1
	}
}

# wait_proxy PID LOG: waits until the proxy answers /healthz (30 s at most).
wait_proxy() {
	local pid=$1 log=$2 _
	for _ in $(seq 1 300); do
		[ "$(through /healthz -o /dev/null -w '%{http_code}' 2>/dev/null)" = 200 ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "test-proxy: $proxy did not start:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "test-proxy: $proxy did not answer within 30 s:" >&2
	cat "$log" >&2
	return 1
}

# logged_client USER-AGENT: the client address of the server's access-log
# line for the request made with USER-AGENT. The line is written once the
# answer is sent, so it is waited for (5 s at most).
logged_client() {
	local _ line
	for _ in $(seq 1 50); do
		line=$(grep -F "user_agent=$1" "$dir/server.log" || true)
		if [ -n "$line" ]; then
			sed -n 's/.* client=\([^ ]*\) .*/\1/p' <<<"$line"
			return
		fi
		sleep 0.1
	done
	echo "(no log line)"
}

# seconds DURATION: an nginx time ("90", "90s", "5m", "1h") in seconds.
seconds() {
	local v=${1%s}
	case "$v" in
	*h) echo $((${v%h} * 3600)) ;;
	*m) echo $((${v%m} * 60)) ;;
	*) echo "$v" ;;
	esac
}

# run_client_test: the Go client's checks through the proxy. Go resolves
# NAME itself, from /etc/hosts: the test binary runs in a private mount
# namespace (unshare: mounts made there stay there) where /etc/hosts has
# NAME, so the machine's own file is never touched.
run_client_test() {
	local out
	# shellcheck disable=SC2016 # $1 and $@ are the inner shell's
	if out=$(DOORSTEP_PROXY_URL="https://$NAME:$https_port" SSL_CERT_FILE="$tmp/cert.pem" \
		unshare --mount sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$tmp/hosts" \
		"$tmp/client.test" -test.run '^TestBehindReverseProxy$' -test.v -test.count=1 2>&1); then :; fi
	local sub what
	for sub in LiveEventOverWebsocket:"the websocket upgrades and a live event arrives (Go client)" \
		ResumableUploadChunks:"a resumable upload's 4 MB chunk and its last one pass, chunked (Go client)"; do
		what=${sub#*:}
		sub=${sub%%:*}
		if grep -q -- "--- PASS: TestBehindReverseProxy/$sub " <<<"$out"; then
			pass "$proxy: $what"
		else
			fail "$proxy: $what:"$'\n'"$out"
		fi
	done
}

# sign_in: a landlord session token, through the proxy.
sign_in() {
	through /api/v1/auth/signin -H 'Content-Type: application/json' \
		-d '{"email":"landlord@demo.doorstep","password":"doorstep-demo"}' |
		sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# --- The checks, through the proxy under test --------------------------------
check_proxy() {
	local body status headers token ua got link

	# /healthz, with the version this tree builds.
	body=$(through /healthz -w '\n%{http_code}' || true)
	status=${body##*$'\n'}
	if [ "$status" = 200 ] && grep -qF "\"version\":\"$version\"" <<<"$body"; then
		pass "$proxy: /healthz answers 200 with version $version"
	else
		fail "$proxy: /healthz: $body"
	fi

	run_client_test

	# One request carries a whole file: 25 MB (-max-upload) plus the
	# multipart envelope passes; 27 MB passes the proxy, and the server
	# refuses it with its own answer (JSON too_large, the sentence the app
	# shows); 31 MB is refused by nginx (413) before the server sees it, and
	# by the server behind Caddy, which has no body limit of its own.
	token=$(sign_in)
	[ -n "$token" ] || fail "$proxy: the demo landlord could not sign in"
	rm -f "$dir/upload.json"
	status=$(through /api/v1/files -o "$dir/upload.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-F "file=@$tmp/25m.bin" || true)
	if [ "$status" = 201 ] && grep -qF "\"size\":$((25 << 20))" "$dir/upload.json"; then
		pass "$proxy: a 25 MB file in one multipart request is stored (201)"
	else
		fail "$proxy: 25 MB upload: HTTP $status $(head -c 300 "$dir/upload.json" 2>/dev/null)"
	fi
	rm -f "$dir/upload.json"
	status=$(through /api/v1/files -o "$dir/upload.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-F "file=@$tmp/27m.bin" || true)
	if [ "$status" = 413 ] && grep -qF '"too_large"' "$dir/upload.json"; then
		pass "$proxy: a 27 MB file reaches the server, which refuses it itself (413 too_large)"
	else
		fail "$proxy: 27 MB upload: want the server's 413 too_large, got HTTP $status $(head -c 300 "$dir/upload.json" 2>/dev/null)"
	fi
	ua="test-proxy-31m-$proxy"
	rm -f "$dir/upload.json"
	status=$(through /api/v1/files -o "$dir/upload.json" -w '%{http_code}' -A "$ua" -H "Authorization: Bearer $token" \
		-F "file=@$tmp/31m.bin" || true)
	if [ "$proxy" = nginx ]; then
		# nginx compares Content-Length with client_max_body_size before
		# it opens a connection to the server.
		if [ "$status" = 413 ] && ! grep -qF '"too_large"' "$dir/upload.json" && ! grep -qF "user_agent=$ua" "$dir/server.log"; then
			pass "$proxy: a 31 MB request is refused by the proxy (413), the server never sees it"
		else
			fail "$proxy: 31 MB upload: want nginx's 413, got HTTP $status $(head -c 300 "$dir/upload.json" 2>/dev/null)"
		fi
	else
		# Caddy streams the body to the server, which refuses it.
		if [ "$status" = 413 ] && grep -qF '"too_large"' "$dir/upload.json"; then
			pass "$proxy: a 31 MB request is refused by the server (413 too_large)"
		else
			fail "$proxy: 31 MB upload: want 413, got HTTP $status $(head -c 300 "$dir/upload.json" 2>/dev/null)"
		fi
	fi

	# X-Forwarded-For. The client (CLIENT_ADDR) claims to be 203.0.113.9:
	# the proxy writes the address it really came from after that, and the
	# server takes the right-most address that is not a trusted proxy.
	ua="test-proxy-xff-$proxy"
	through /healthz -o /dev/null --interface "$CLIENT_ADDR" -A "$ua" -H 'X-Forwarded-For: 203.0.113.9' || true
	got=$(logged_client "$ua")
	if [ "$got" = "$CLIENT_ADDR" ]; then
		pass "$proxy: the server logs the client's address from X-Forwarded-For ($CLIENT_ADDR), not the proxy's nor the one the client wrote"
	else
		fail "$proxy: X-Forwarded-For: the server logged client=$got, want $CLIENT_ADDR"
	fi
	# From a trusted address (127.0.0.1 here, as another proxy in front
	# would be), what it forwards is walked on: nginx's
	# $proxy_add_x_forwarded_for appends to it; Caddy replaces it, as it
	# trusts no proxy in front of it unless told (trusted_proxies).
	ua="test-proxy-xff-chain-$proxy"
	through /healthz -o /dev/null -A "$ua" -H 'X-Forwarded-For: 203.0.113.9' || true
	got=$(logged_client "$ua")
	local want=203.0.113.9
	[ "$proxy" = caddy ] && want=127.0.0.1
	if [ "$got" = "$want" ]; then
		pass "$proxy: behind a trusted hop the server logs $want ($([ "$proxy" = nginx ] && echo "the proxy appends" || echo "the proxy replaces") X-Forwarded-For)"
	else
		fail "$proxy: X-Forwarded-For behind a trusted hop: the server logged client=$got, want $want"
	fi

	# The portal: a link redeemed as a browser does (POST with its Origin)
	# signs the tenant in with cookies, marked Secure from the proxy's
	# X-Forwarded-Proto (the server itself speaks plain HTTP). The server
	# compares Origin with Host, port included: it passes only if the proxy
	# kept Host as the browser sent it.
	link=$("$server" portal-link -data "$dir/data" -tenant "$TENANT" -public-url "https://$NAME:$https_port" 2>/dev/null)
	status=$(through "${link#"https://$NAME:$https_port"}" -o /dev/null -w '%{http_code}' || true)
	if [ "$status" = 200 ]; then
		pass "$proxy: the portal link's page answers (200)"
	else
		fail "$proxy: portal link page: HTTP $status"
	fi
	headers=$(through "${link#"https://$NAME:$https_port"}" -X POST -o /dev/null -D - -c "$dir/cookies" \
		-H "Origin: https://$NAME:$https_port" || true)
	status=$(head -n1 <<<"$headers" | cut -d' ' -f2)
	if [ "$status" = 303 ] && [ "$(grep -ci '^set-cookie:' <<<"$headers")" -ge 2 ] &&
		! grep -i '^set-cookie:' <<<"$headers" | grep -qvi '; *secure'; then
		pass "$proxy: a portal link redeemed as a browser does (POST, Origin) signs in: Host kept with its port; cookies Secure (X-Forwarded-Proto)"
	else
		fail "$proxy: portal sign-in: want 303 with Secure cookies, got:"$'\n'"$headers"
	fi
	status=$(through /portal/ -o /dev/null -w '%{http_code}' -b "$dir/cookies" || true)
	if [ "$status" = 200 ]; then
		pass "$proxy: the portal page answers under the public host $NAME"
	else
		fail "$proxy: /portal/ under $NAME: HTTP $status"
	fi
}

# --- nginx -------------------------------------------------------------------
head -c $((25 << 20)) /dev/urandom >"$tmp/25m.bin"
head -c $((27 << 20)) /dev/urandom >"$tmp/27m.bin"
head -c $((31 << 20)) /dev/urandom >"$tmp/31m.bin"

proxy=nginx dir=$tmp/nginx
mkdir -p "$dir"
https_port=$(free_port) http_port=$(free_port) server_port=$(free_port)
# The snippet, changed only where a test machine differs:
#  - the certificate files certbot would make: the throwaway ones;
#  - the server's name: NAME (after the paths, which hold it too);
#  - listen 443 and 80: free ports, on loopback (not on every interface);
#  - the server's default port 8765 in proxy_pass: this test's server.
sed -e "s#/etc/letsencrypt/live/$DOC_NAME/fullchain\.pem#$tmp/cert.pem#" \
	-e "s#/etc/letsencrypt/live/$DOC_NAME/privkey\.pem#$tmp/key.pem#" \
	-e "s/$DOC_NAME/$NAME/g" \
	-e "s/listen 443 ssl;/listen 127.0.0.1:$https_port ssl;/" \
	-e "s/listen 80;/listen 127.0.0.1:$http_port;/" \
	-e "s/127\.0\.0\.1:8765/127.0.0.1:$server_port/g" \
	"$tmp/nginx.snippet" >"$dir/site.conf"
# What nginx needs around it to run in the foreground from this directory:
# the main context's files and the temporary paths in here, not in /var.
cat >"$dir/nginx.conf" <<EOF
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 128; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/site.conf;
}
EOF
if grep -nE 'example\.org|letsencrypt|:8765|listen +(443|80)\b' "$dir/site.conf"; then
	fail "nginx: the snippet in $DOC changed: the lines above were not adapted to the test machine"
fi
# The websocket's read timeout must outlast the server's ping (54 s) and
# its 60 s for a silent peer, or idle clients are cut off and reconnect.
timeout=$(awk '/location = \/api\/v1\/events/ { inside = 1 } inside && /proxy_read_timeout/ { sub(/;.*/, "", $2); print $2; exit }' "$dir/site.conf")
if [ -n "$timeout" ] && [ "$(seconds "$timeout")" -gt 60 ]; then
	pass "nginx: the events location's proxy_read_timeout is $timeout (> 60 s; read from the config, not waited for)"
else
	fail "nginx: the events location's proxy_read_timeout is '${timeout:-nginx default 60s}': want more than 60 s"
fi
start_proxy_server
nginx -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" || fail "nginx -t refuses the configuration"
nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
pids+=($!)
nginx_pid=$!
wait_proxy "$nginx_pid" "$dir/error.log"
before=$failures
check_proxy
if [ "$failures" -gt "$before" ]; then
	echo "nginx's errors:" >&2
	grep -F '[error]' "$dir/error.log" >&2 || true
fi
# nginx passes Host on as it came, not the upstream's address: another name
# reaches the server, which refuses browser pages for it.
status=$(through /portal/ -o /dev/null -w '%{http_code}' -H 'Host: other.doorstep.test' || true)
if [ "$status" = 403 ]; then
	pass "nginx: a request for another host reaches the server as such, which refuses it (403)"
else
	fail "nginx: /portal/ with Host other.doorstep.test: HTTP $status, want the server's 403"
fi
location=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "$NAME:$http_port:127.0.0.1" \
	"http://$NAME:$http_port/portal/c/7?x=1" || true)
if [ "$location" = "301 https://$NAME/portal/c/7?x=1" ]; then
	pass "nginx: port 80 redirects to https (301, path kept)"
else
	fail "nginx: port 80: want 301 to https://$NAME/portal/c/7?x=1, got $location"
fi
stop_pid "$nginx_pid"
stop_pid "$server_pid"

# --- Caddy -------------------------------------------------------------------
proxy=caddy dir=$tmp/caddy
mkdir -p "$dir"
https_port=$(free_port) http_port=$(free_port) server_port=$(free_port)
# The snippet, changed only where a test machine differs:
#  - the site's name: NAME on a free port, and its certificate the
#    throwaway one (Caddy would ask Let's Encrypt for a real name);
#  - the server's default port 8765: this test's server.
sed -e "s#^$DOC_NAME {\$#$NAME:$https_port {\n\ttls $tmp/cert.pem $tmp/key.pem#" \
	-e "s/127\.0\.0\.1:8765/127.0.0.1:$server_port/g" \
	"$tmp/caddy.snippet" >"$dir/site.caddy"
if grep -nE 'example\.org|:8765' "$dir/site.caddy"; then
	fail "caddy: the snippet in $DOC changed: the lines above were not adapted to the test machine"
fi
# Global options, before the site: no admin endpoint (port 2019), the
# http-to-https redirects on a free port instead of 80, no root
# certificate installed in the system's trust store.
{
	printf '{\n\tadmin off\n\thttp_port %s\n\tskip_install_trust\n}\n\n' "$http_port"
	cat "$dir/site.caddy"
} >"$dir/Caddyfile"
# Caddy keeps no read timeout on a proxied websocket (reverse_proxy streams
# until either side closes); a snippet setting one would show here.
if grep -nE 'timeout' "$dir/site.caddy"; then
	fail "caddy: the snippet sets a timeout (above): check that it outlasts the server's 60 s"
else
	pass "caddy: no timeout on proxied websockets (Caddy's default, which the snippet keeps)"
fi
start_proxy_server
export_caddy_env=(HOME="$dir/home" XDG_DATA_HOME="$dir/data-caddy" XDG_CONFIG_HOME="$dir/config-caddy")
env "${export_caddy_env[@]}" caddy validate --config "$dir/Caddyfile" --adapter caddyfile >"$dir/validate.log" 2>&1 ||
	fail "caddy validate refuses the configuration: $(cat "$dir/validate.log")"
env "${export_caddy_env[@]}" caddy run --config "$dir/Caddyfile" --adapter caddyfile >"$dir/caddy.log" 2>&1 &
pids+=($!)
caddy_pid=$!
wait_proxy "$caddy_pid" "$dir/caddy.log"
check_proxy
# Caddy redirects http to https by itself, here on its http_port.
location=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "$NAME:$http_port:127.0.0.1" \
	"http://$NAME:$http_port/portal/c/7?x=1" || true)
if [ "$location" = "308 https://$NAME:$https_port/portal/c/7?x=1" ]; then
	pass "caddy: http redirects to https by itself (308, path kept)"
else
	fail "caddy: http: want 308 to https://$NAME:$https_port/portal/c/7?x=1, got $location"
fi
stop_pid "$caddy_pid"
stop_pid "$server_pid"

echo "test-proxy: $(($(date +%s) - started)) s (nginx $(nginx -v 2>&1 | sed 's/.*\///'), caddy $(caddy version | cut -d' ' -f1))"
if [ "$failures" -gt 0 ]; then
	echo "test-proxy: $failures check(s) failed" >&2
	exit 1
fi
echo "test-proxy: all checks passed"
