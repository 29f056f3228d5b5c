#!/usr/bin/env bash
# Builds the Windows app and installer twice, unsigned and signed with a
# throwaway certificate, and inspects them (Wine cannot run Go programs, so
# nothing is run): PE headers (internal/pecheck), the Go build info, the
# installer's contents (7z) and the instructions makensis compiled, and the
# Authenticode signatures (osslsigncode verify).
#
# Usage: scripts/test-package-windows.sh
#
# The expected lines hold NSIS variables ($INSTDIR, ...), literal on purpose.
# shellcheck disable=SC2016
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v dpkg >/dev/null; then
	missing=()
	for p in p7zip-full osslsigncode openssl; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=()
		[ "$(id -u)" -eq 0 ] || sudo=(sudo)
		echo "test-package-windows: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get update -q
		"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

version=$(scripts/version.sh)
app=doorstep_${version}_windows_amd64.exe
setup=doorstep_${version}_windows_amd64_setup.exe
go build -o "$tmp/pecheck" ./internal/pecheck
bootstrapper=$(go list -modfile=tools/go.mod -m -f '{{.Dir}}' github.com/wailsapp/wails/v2)/internal/webview2runtime/MicrosoftEdgeWebview2Setup.exe

# expect_facts FILE KEY=VALUE...: pecheck's report on FILE has these lines.
expect_facts() {
	local file=$1 facts want
	shift
	facts=$("$tmp/pecheck" "$file") || {
		fail "pecheck $(basename "$file")"
		return
	}
	for want in "$@"; do
		if grep -qxF "$want" <<<"$facts"; then
			pass "$(basename "$file"): $want"
		else
			fail "$(basename "$file"): want $want, pecheck says:"$'\n'"$facts"
		fi
	done
}

# expect_line FILE FIXED-STRING WHAT: FILE has a line containing the string.
expect_line() {
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3 (no '$2' in $(basename "$1"))"; fi
}

# --- Unsigned ---------------------------------------------------------------
t0=$(date +%s)
DOORSTEP_NSIS_LOG=$tmp/makensis.log scripts/package-windows.sh "$tmp/unsigned"
echo "unsigned build: $(($(date +%s) - t0)) s"
u=$tmp/unsigned

for f in "$u/$app" "$u/$setup"; do
	[ -s "$f" ] || fail "missing $f"
done
expect_facts "$u/$app" format=PE32+ machine=amd64 subsystem=windows-gui signed=false nsis=false \
	"product-version=$version" execution-level=asInvoker
expect_facts "$u/$setup" format=PE32+ machine=amd64 subsystem=windows-gui signed=false nsis=true \
	"product-version=$version" execution-level=asInvoker

buildinfo=$(go version -m "$u/$app")
for want in $'\tCGO_ENABLED=1' $'\tGOOS=windows' $'\tGOARCH=amd64' $'\t-trimpath=true'; do
	if grep -qF -- "$want" <<<"$buildinfo"; then pass "build info has${want}"; else fail "build info lacks${want}"; fi
done
if grep -qE $'\t-tags=([^ ]*,)?sqlite_fts5(,|$)' <<<"$buildinfo"; then pass "built with sqlite_fts5"; else fail "not built with sqlite_fts5"; fi
# -X doorstep/backend.Version=... leaves the version as a plain string (the
# version resource holds it in UTF-16, which this does not match).
if grep -aqF -- "$version" "$u/$app"; then pass "backend.Version is $version"; else fail "the app does not carry $version"; fi

# The installer's payload, as 7-Zip reads NSIS archives.
(cd "$tmp" && 7z x -y -o"$tmp/payload" "$u/$setup" >/dev/null)
if cmp -s "$tmp/payload/doorstep.exe" "$u/$app"; then pass "installer packs the app exe"; else fail "installer's doorstep.exe differs from the app"; fi
if cmp -s "$tmp/payload/\$PLUGINSDIR/webview2/MicrosoftEdgeWebview2Setup.exe" "$bootstrapper"; then
	pass "installer packs the WebView2 bootstrapper"
else
	fail "installer lacks Wails' WebView2 bootstrapper"
fi

# What makensis compiled: a per-user install, its Uninstall entry, shortcuts.
log=$tmp/makensis.log
key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Doorstep'
expect_line "$log" 'InstallDir: "$LOCALAPPDATA\Programs\Doorstep"' "installs into %LocalAppData%\\Programs\\Doorstep"
for value in DisplayName=Doorstep "DisplayVersion=$version" Publisher=Doorstep 'DisplayIcon=$INSTDIR\doorstep.exe' 'UninstallString="$INSTDIR\uninstall.exe"'; do
	expect_line "$log" "WriteRegStr: $key\\$value" "Uninstall entry ${value%%=*}"
done
expect_line "$log" "WriteRegDWORD: $key\\EstimatedSize=" "Uninstall entry EstimatedSize"
if grep -E '^(WriteReg|DeleteReg)[A-Za-z]*: HKLM' "$log"; then fail "the installer writes to HKLM"; else pass "no HKLM writes"; fi
expect_line "$log" 'CreateShortcut: "$SMPROGRAMS\Doorstep.lnk"' "Start-menu shortcut"
# The desktop shortcut is its own, optional section (a components page box).
desktop=$(sed -n '/^Section: "Desktop shortcut"/,/^SectionEnd/p' "$log")
if grep -qF 'CreateShortcut: "$DESKTOP\Doorstep.lnk"' <<<"$desktop" && ! grep -q 'SectionIn: \[RO\]' <<<"$desktop"; then
	pass "desktop shortcut is an optional section"
else
	fail "desktop shortcut is not an optional section"
fi
expect_line "$log" 'ReadRegStr $0 HKCU\Software\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}\pv' "checks a per-user WebView2"
expect_line "$log" 'MicrosoftEdgeWebview2Setup.exe" /silent /install' "runs the WebView2 bootstrapper"
# The uninstaller: the program and shortcuts, never a recursive delete.
uninstall=$(sed -n '/^Section: "uninstall"/,/^SectionEnd/p' "$log")
for want in 'Delete: "$INSTDIR\doorstep.exe"' 'Delete: "$SMPROGRAMS\Doorstep.lnk"' 'Delete: "$DESKTOP\Doorstep.lnk"' "DeleteRegKey: $key"; do
	if grep -qF -- "$want" <<<"$uninstall"; then pass "uninstaller: $want"; else fail "uninstaller lacks $want"; fi
done
if grep -q '^RMDir: /r' <<<"$uninstall"; then fail "the uninstaller deletes recursively"; else pass "uninstaller deletes no folder recursively"; fi
expect_line "$log" 'Your conversations, settings and saved files are kept' "uninstaller says the data stays"

if osslsigncode verify -in "$u/$app" >/dev/null 2>&1; then fail "unsigned app verifies"; else pass "unsigned app has no signature"; fi

# --- Signed (a throwaway self-signed code-signing certificate) --------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Doorstep Test Signing" \
	-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$tmp/key.pem" -in "$tmp/cert.pem" -passout pass:test-secret -out "$tmp/cert.pfx"

t0=$(date +%s)
DOORSTEP_SIGN_PFX=$tmp/cert.pfx DOORSTEP_SIGN_PASSWORD=test-secret scripts/package-windows.sh "$tmp/signed"
echo "signed build: $(($(date +%s) - t0)) s"
s=$tmp/signed

# verify CA FILE WHAT: osslsigncode accepts FILE's signature with CA as root.
verify() {
	if osslsigncode verify -CAfile "$1" -in "$2" >"$tmp/verify.log" 2>&1 && grep -q 'Signature verification: ok' "$tmp/verify.log"; then
		pass "$3 verifies"
	else
		cat "$tmp/verify.log" >&2
		fail "$3 does not verify"
	fi
}
expect_facts "$s/$app" signed=true subsystem=windows-gui
expect_facts "$s/$setup" signed=true nsis=true
verify "$tmp/cert.pem" "$s/$app" "signed app"
verify "$tmp/cert.pem" "$s/$setup" "signed installer"
(cd "$tmp" && 7z x -y -o"$tmp/signed-payload" "$s/$setup" >/dev/null)
if cmp -s "$tmp/signed-payload/doorstep.exe" "$s/$app"; then pass "installer packs the signed app"; else fail "installer's app is not the signed one"; fi
verify "$tmp/cert.pem" "$tmp/signed-payload/doorstep.exe" "packed app"
verify "$tmp/cert.pem" "$tmp/signed-payload/uninstall.exe" "packed uninstaller"

# The PEM pair signs too (the same function signs every file).
cp "$u/$app" "$tmp/pem.exe"
DOORSTEP_SIGN_CERT=$tmp/cert.pem DOORSTEP_SIGN_KEY=$tmp/key.pem scripts/package-windows.sh --sign-file "$tmp/pem.exe"
verify "$tmp/cert.pem" "$tmp/pem.exe" "app signed with a PEM certificate and key"
# A signature by someone else's certificate is refused.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Someone Else" \
	-keyout "$tmp/other-key.pem" -out "$tmp/other.pem" 2>/dev/null
if osslsigncode verify -CAfile "$tmp/other.pem" -in "$s/$app" >/dev/null 2>&1; then
	fail "the signature verifies against an unrelated certificate"
else
	pass "the signature does not verify against an unrelated certificate"
fi

echo
printf 'sizes: app %s bytes, installer %s bytes (unsigned)\n' "$(wc -c <"$u/$app")" "$(wc -c <"$u/$setup")"
if [ "$failures" -gt 0 ]; then
	echo "test-package-windows: $failures check(s) failed" >&2
	exit 1
fi
echo "test-package-windows: all passed"
