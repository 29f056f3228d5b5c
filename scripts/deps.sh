#!/usr/bin/env bash
# Installs what Doorstep needs to build (deps.sh build), to build and test
# (deps.sh test), to build the packages (deps.sh package: make package), or
# to run the desktop benchmark (deps.sh bench: make bench-desktop), skipping
# whatever is already there.
#
# Debian/Ubuntu: missing system packages are installed with apt-get (through
# sudo when not root). Other systems: prints what to install and stops.
# Go and Node.js are checked, not installed: their distribution packages are
# too old, so the message says where to get them.
set -euo pipefail

purpose=${1:-build}
case "$purpose" in build | test | package | bench) ;; *)
	echo "usage: $0 build|test|package|bench" >&2
	exit 2
	;;
esac

need_go=1.26
need_node=20.19

# version_ge A B: true when dotted version A >= B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

problems=()
if ! command -v go >/dev/null; then
	problems+=("Go $need_go or newer is not installed: https://go.dev/dl/")
elif ! version_ge "$(go env GOVERSION | sed 's/^go//')" "$need_go"; then
	problems+=("Go $(go env GOVERSION) is too old; Doorstep needs Go $need_go or newer: https://go.dev/dl/")
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	problems+=("Node.js $need_node or newer (with npm) is not installed: https://nodejs.org/")
elif ! version_ge "$(node --version | sed 's/^v//')" "$need_node"; then
	problems+=("Node.js $(node --version) is too old; Doorstep needs $need_node or newer: https://nodejs.org/")
fi

case "$(uname -s)" in
Linux) ;;
Darwin)
	xcode-select -p >/dev/null 2>&1 || problems+=("Xcode command-line tools are missing: xcode-select --install")
	;;
MINGW* | MSYS* | CYGWIN*)
	command -v gcc >/dev/null || problems+=("a gcc for cgo is missing (e.g. MSYS2 mingw-w64-x86_64-gcc)")
	;;
esac

if [ ${#problems[@]} -gt 0 ]; then
	printf 'Doorstep cannot be built yet:\n' >&2
	printf '  - %s\n' "${problems[@]}" >&2
	exit 1
fi

[ "$(uname -s)" = Linux ] || exit 0

# Linux packages. WebKitGTK 4.0 where the distribution still has it, else 4.1
# (the Makefile then builds with the webkit2_41 tag).
# xdg-utils: the app's Open (xdg-open). `file`: the test's xdg-open (no
# desktop environment) takes a file's type from it.
packages=(gcc pkg-config libgtk-3-dev xdg-utils)
# poppler-utils: the export tests read the PDF back (pdftotext) and draw it
# to PNG (pdftoppm).
test_packages=(curl xvfb xauth xdotool imagemagick tesseract-ocr tesseract-ocr-eng dbus dbus-x11 gnome-keyring chromium fonts-dejavu-core file postgresql poppler-utils)
# Packages: dpkg-dev (dpkg-shlibdeps), imagemagick (the icon sizes), lintian;
# the Windows installer (scripts/package-windows.sh): MinGW for cgo, NSIS,
# osslsigncode; its test (scripts/test-package-windows.sh): 7z, openssl.
package_packages=(dpkg-dev imagemagick lintian gcc-mingw-w64-x86-64 nsis osslsigncode p7zip-full openssl)
# The desktop benchmark (scripts/bench-desktop.sh): the real window under
# Xvfb in its own D-Bus session with a keyring, driven by xdotool, with
# screenshots (imagemagick) read by OCR to find what to click.
bench_packages=(xvfb xauth xdotool imagemagick tesseract-ocr tesseract-ocr-eng dbus dbus-x11 gnome-keyring fonts-dejavu-core)

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
	webkit=webkit2gtk-4.0-or-4.1-dev
	want=("${packages[@]}" "$webkit")
	[ "$purpose" = test ] && want+=("${test_packages[@]}")
	[ "$purpose" = package ] && want+=("${package_packages[@]}")
	[ "$purpose" = bench ] && want+=("${bench_packages[@]}")
	missing_tools=()
	for cmd in gcc pkg-config; do command -v "$cmd" >/dev/null || missing_tools+=("$cmd"); done
	if pkg-config --exists gtk+-3.0 2>/dev/null && { pkg-config --exists webkit2gtk-4.0 || pkg-config --exists webkit2gtk-4.1; } 2>/dev/null &&
		[ ${#missing_tools[@]} -eq 0 ] && [ "$purpose" = build ]; then
		exit 0
	fi
	echo "This is not a Debian/Ubuntu system, so nothing is installed automatically." >&2
	echo "Install these (names as in Debian; your distribution's may differ):" >&2
	printf '  %s\n' "${want[@]}" >&2
	exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if installed libwebkit2gtk-4.0-dev || installed libwebkit2gtk-4.1-dev; then
	webkit=
elif apt-cache show libwebkit2gtk-4.0-dev >/dev/null 2>&1; then
	webkit=libwebkit2gtk-4.0-dev
else
	webkit=libwebkit2gtk-4.1-dev
fi

want=("${packages[@]}")
[ -n "$webkit" ] && want+=("$webkit")
[ "$purpose" = test ] && want+=("${test_packages[@]}")
[ "$purpose" = package ] && want+=("${package_packages[@]}")
[ "$purpose" = bench ] && want+=("${bench_packages[@]}")

missing=()
for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: system packages present"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "deps: missing packages and no sudo; as root run: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
# The 4.0 package may only be known after the update.
if [ -n "$webkit" ] && [ "$webkit" = libwebkit2gtk-4.1-dev ] && apt-cache show libwebkit2gtk-4.0-dev >/dev/null 2>&1; then
	missing=("${missing[@]/libwebkit2gtk-4.1-dev/libwebkit2gtk-4.0-dev}")
fi
# Another apt-get may be running (unattended upgrades): wait for it.
"${sudo[@]}" apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
