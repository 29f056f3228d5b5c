#!/usr/bin/env bash
# Builds the Windows desktop app and its installer into OUTDIR:
#   doorstep_<version>_windows_amd64.exe        the app
#   doorstep_<version>_windows_amd64_setup.exe  the per-user NSIS installer
#
# On Linux it cross-compiles with mingw-w64 (cgo is required: SQLite is C);
# on Windows (Git Bash) it uses the gcc on PATH. The installer is compiled
# by makensis from build/windows/installer/project.nsi.
#
# Authenticode signing, when a certificate is given:
#   DOORSTEP_SIGN_PFX (+ DOORSTEP_SIGN_PASSWORD)            a PKCS#12 file
#   DOORSTEP_SIGN_CERT + DOORSTEP_SIGN_KEY (+ _PASSWORD)    PEM/DER files
#   DOORSTEP_SIGN_TIMESTAMP_URL                            optional RFC 3161
#     timestamping server (off by default: it needs the network)
# The app is signed before it is packed, the uninstaller while makensis
# writes it, and the installer last.
#
# DOORSTEP_NSIS_LOG=FILE keeps makensis's full log (every instruction it
# compiled) in FILE, for the package test to read.
#
# Usage: scripts/package-windows.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
self=$root/scripts/package-windows.sh

# sign_file FILE: signs FILE in place with the configured certificate.
sign_file() {
	local file=$1 tmp args
	tmp=$(mktemp -d)
	args=(sign -h sha256 -n Doorstep -i https://github.com/doorstep)
	if [ -n "${DOORSTEP_SIGN_PFX:-}" ]; then
		args+=(-pkcs12 "$DOORSTEP_SIGN_PFX")
	else
		args+=(-certs "$DOORSTEP_SIGN_CERT" -key "$DOORSTEP_SIGN_KEY")
	fi
	# The password goes through a file, never the command line (ps shows it).
	if [ -n "${DOORSTEP_SIGN_PASSWORD:-}" ]; then
		(umask 077 && printf '%s' "$DOORSTEP_SIGN_PASSWORD" >"$tmp/pass")
		args+=(-readpass "$tmp/pass")
	fi
	if [ -n "${DOORSTEP_SIGN_TIMESTAMP_URL:-}" ]; then
		args+=(-ts "$DOORSTEP_SIGN_TIMESTAMP_URL")
	fi
	if ! osslsigncode "${args[@]}" -in "$file" -out "$tmp/signed" >"$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		rm -rf "$tmp"
		echo "package-windows: signing $file failed" >&2
		return 1
	fi
	mv -f "$tmp/signed" "$file"
	rm -rf "$tmp"
}

# makensis runs this script again to sign the uninstaller it writes.
if [ "${1:-}" = --sign-file ]; then
	sign_file "$2"
	exit 0
fi

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
mkdir -p "$1"
outdir=$(cd "$1" && pwd)

signing=
if [ -n "${DOORSTEP_SIGN_PFX:-}" ]; then
	signing=pkcs12
elif [ -n "${DOORSTEP_SIGN_CERT:-}" ] || [ -n "${DOORSTEP_SIGN_KEY:-}" ]; then
	if [ -z "${DOORSTEP_SIGN_CERT:-}" ] || [ -z "${DOORSTEP_SIGN_KEY:-}" ]; then
		echo "package-windows: DOORSTEP_SIGN_CERT and DOORSTEP_SIGN_KEY go together" >&2
		exit 2
	fi
	signing=pem
fi

case "$(uname -s)" in
MINGW* | MSYS* | CYGWIN*)
	host=windows
	cc=${CC:-gcc}
	;;
*)
	host=unix
	cc=${WINDOWS_CC:-x86_64-w64-mingw32-gcc}
	;;
esac

# Debian's packages for the cross-build, installed only when missing.
if [ "$host" = unix ] && command -v dpkg >/dev/null; then
	installed() { dpkg -s "$1" >/dev/null 2>&1; }
	want=(gcc-mingw-w64-x86-64 nsis)
	[ -n "$signing" ] && want+=(osslsigncode)
	missing=()
	for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=()
		[ "$(id -u)" -eq 0 ] || sudo=(sudo)
		echo "package-windows: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get update -q
		"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi
for tool in "$cc" makensis go node npm; do
	if ! command -v "$tool" >/dev/null; then
		echo "package-windows: $tool is missing" >&2
		exit 1
	fi
done
if [ -n "$signing" ] && ! command -v osslsigncode >/dev/null; then
	echo "package-windows: osslsigncode is missing (needed to sign)" >&2
	exit 1
fi

version=$(scripts/version.sh)
# Windows' version fields are four numbers: X.Y.Z plus the commits since the
# tag (git describe's -N-g, or version.sh's -dev.N).
base=$(printf '%s' "$version" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/')
build=$(printf '%s' "$version" | sed -nE 's/^[0-9]+\.[0-9]+\.[0-9]+(-dev\.|-)([0-9]+).*/\2/p')
version_quad=$base.${build:-0}
if ! [[ $version_quad =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "package-windows: cannot make Windows' version numbers from '$version'" >&2
	exit 1
fi
app_name=doorstep_${version}_windows_amd64.exe
setup_name=doorstep_${version}_windows_amd64_setup.exe

start=$(date +%s)
# The Wails CLI is a host program: `go tool` builds it with the host's
# compiler, before CC points at the cross-compiler (-n prints its path).
wails_bin=$(env -u CC -u GOOS -u GOARCH go tool -modfile=tools/go.mod -n wails)
[ "$host" = unix ] || wails_bin=$(cygpath -u "$wails_bin")
wails=("$wails_bin")

# The bindings and the UI are the host's work: the bindings generator runs
# a host build of the app, so the cross-compiler must not be in the way.
host_tags=sqlite_fts5
if [ "$(uname -s)" = Linux ] && ! pkg-config --exists webkit2gtk-4.0 2>/dev/null; then
	host_tags="$host_tags webkit2_41"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! env -u CC -u GOOS -u GOARCH "${wails[@]}" generate module -tags "$host_tags" >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
touch frontend/wailsjs/go/models.ts
if [ ! -f frontend/node_modules/.package-lock.json ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
	(cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd frontend && npm run build --silent -- --logLevel warn)

# Windows' version resource: the template's product info plus this build's
# version (the written info.json is not committed).
sed -e "s/@VERSION_QUAD@/$version_quad/g" -e "s/@VERSION@/$version/g" \
	build/windows/info.template.json >build/windows/info.json

exe=build/bin/doorstep.exe
rm -f "$exe"
CC=$cc CGO_ENABLED=1 "${wails[@]}" build -s -m -nosyncgomod -skipbindings -nocolour \
	-platform windows/amd64 -tags sqlite_fts5 -trimpath \
	-ldflags "-X doorstep/backend.Version=$version -buildid=" >"$log" 2>&1 || {
	cat "$log" >&2
	exit 1
}
if [ ! -f "$exe" ]; then
	echo "package-windows: wails build wrote no $exe" >&2
	exit 1
fi
# Without cgo there would be no SQLite; never ship such a build.
if ! go version -m "$exe" | grep -q 'CGO_ENABLED=1'; then
	echo "package-windows: $exe was built without cgo:" >&2
	go version -m "$exe" >&2
	exit 1
fi

cp "$exe" "$outdir/$app_name"
[ -z "$signing" ] || sign_file "$outdir/$app_name"

# The installer: names from wails.json, this build's version, and the WebView2
# bootstrapper that ships inside the Wails module.
info() { node -p "require('./wails.json').info.$1"; }
wails_dir=$(go list -modfile=tools/go.mod -m -f '{{.Dir}}' github.com/wailsapp/wails/v2)
bootstrapper=$wails_dir/internal/webview2runtime/MicrosoftEdgeWebview2Setup.exe
if [ ! -f "$bootstrapper" ]; then
	echo "package-windows: no WebView2 bootstrapper at $bootstrapper" >&2
	exit 1
fi
to_native() { if [ "$host" = windows ]; then cygpath -m "$1"; else printf '%s' "$1"; fi; }
nsis_args=(
	-V2 -INPUTCHARSET UTF8
	"-DARG_WAILS_AMD64_BINARY=$(to_native "$outdir/$app_name")"
	"-DPRODUCT_EXECUTABLE=doorstep.exe"
	"-DINFO_PROJECTNAME=doorstep"
	"-DINFO_PRODUCTNAME=$(info productName)"
	"-DINFO_COMPANYNAME=$(info companyName)"
	"-DINFO_COPYRIGHT=$(info copyright)"
	"-DINFO_PRODUCTVERSION=$version"
	"-DVERSION_QUAD=$version_quad"
	"-DWEBVIEW2_BOOTSTRAPPER=$(to_native "$bootstrapper")"
	"-DOUTFILE=$(to_native "$outdir/$setup_name")"
)
if [ -n "$signing" ]; then
	nsis_args+=("-DSIGN_COMMAND=bash \"$(to_native "$self")\" --sign-file \"%1\"")
fi
rm -f "$outdir/$setup_name"
if [ -n "${DOORSTEP_NSIS_LOG:-}" ]; then
	nsis_args[0]=-V4
	(cd build/windows/installer && makensis "${nsis_args[@]}" project.nsi) >"$DOORSTEP_NSIS_LOG" 2>&1 || {
		tail -40 "$DOORSTEP_NSIS_LOG" >&2
		exit 1
	}
else
	(cd build/windows/installer && makensis "${nsis_args[@]}" project.nsi)
fi
[ -z "$signing" ] || sign_file "$outdir/$setup_name"

size() { du -h "$1" | cut -f1; }
echo "package-windows: $version in $(($(date +%s) - start)) s${signing:+, signed}"
echo "  $outdir/$app_name ($(size "$outdir/$app_name"))"
echo "  $outdir/$setup_name ($(size "$outdir/$setup_name"))"
