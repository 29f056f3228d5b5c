#!/usr/bin/env bash
# Builds the Linux packages of this checkout into OUTDIR (default
# build/package):
#   doorstep_<debver>_<arch>.deb               the desktop app
#   doorstep-server_<debver>_<arch>.deb        the server, its systemd unit and settings
#   doorstep_<ver>_linux_<arch>.tar.gz         the same files, for other distributions
#   doorstep-server_<ver>_linux_<arch>.tar.gz
#
# Reproducible: two builds of one commit give the same bytes. Every time
# stamp is SOURCE_DATE_EPOCH (default: the commit's time), every owner root,
# names sorted; the Go builds are -trimpath, without build id or VCS stamp.
#
# The packages are made with dpkg-deb from a staged tree, not with a packager
# of their own: dpkg-shlibdeps (the Depends of the desktop app, from the
# WebKitGTK the build used) needs dpkg-dev anyway, and the control files
# then say exactly what lintian reads.
#
# Environment: VERSION (default scripts/version.sh), SOURCE_DATE_EPOCH,
# PACKAGES ("desktop server" by default; "server" builds only the server's).
# Needs what `scripts/deps.sh package` installs.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build/package}
VERSION=${VERSION:-$(scripts/version.sh)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}
export SOURCE_DATE_EPOCH
packages=${PACKAGES:-desktop server}
arch=$(dpkg --print-architecture)
maintainer="Doorstep maintainers <maintainers@doorstep.example>"

# deb_version V: V as a Debian version that sorts as the release order does.
# A pre-release (0.1.0-dev.N+gHASH) sorts before its release (~), a build
# after a tag (git describe's 0.1.0-N-gHASH) after it (+), and a Debian
# version has no revision, so no other "-" either.
deb_version() {
	local v=$1 dirty=
	case "$v" in *-dirty) v=${v%-dirty} dirty=+dirty ;; esac
	if [[ $v =~ ^(.*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
		v="${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
	fi
	v=${v/-/\~}
	echo "${v//-/.}$dirty"
}
debver=$(deb_version "$VERSION")
if ! dpkg --validate-version "$debver" 2>/dev/null; then
	echo "package-linux: version $VERSION ($debver) is not a Debian version" >&2
	exit 1
fi

tags=sqlite_fts5
pkg-config --exists webkit2gtk-4.0 2>/dev/null || tags="$tags webkit2_41"
webkit=$(pkg-config --exists webkit2gtk-4.0 2>/dev/null && echo "WebKitGTK 4.0" || echo "WebKitGTK 4.1")

# The Go builds: position-independent, with the C parts (SQLite, the
# WebKitGTK glue) hardened as Debian builds C (dpkg-buildflags); stripped;
# no build id, no VCS stamp, no local path.
export CGO_ENABLED=1
export GOFLAGS="-trimpath -buildvcs=false -buildmode=pie"
export CGO_CPPFLAGS="-D_FORTIFY_SOURCE=2"
export CGO_CFLAGS="-O2 -fstack-protector-strong"
ldflags="-s -w -buildid= -X doorstep/backend.Version=$VERSION -linkmode=external -extldflags=-Wl,-z,relro,-z,now"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# normalise DIR: the same owner-independent modes and time stamps everywhere,
# whatever the umask and clock of the build.
normalise() {
	find "$1" -type d -exec chmod 0755 {} +
	find "$1" -type f ! -perm -u+x -exec chmod 0644 {} +
	find "$1" -type f -perm -u+x -exec chmod 0755 {} +
	find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# tarball DIR NAME: DIR's content as OUTDIR/NAME.tar.gz, under NAME/.
tarball() {
	local dir=$1 name=$2
	mkdir -p "$work/tar"
	rm -rf "${work:?}/tar/$name"
	cp -a "$dir" "$work/tar/$name"
	normalise "$work/tar/$name"
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --format=gnu \
		-C "$work/tar" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
	echo "built $out/$name.tar.gz"
}

# fill TEMPLATE: TEMPLATE with its @WORDS@ replaced.
fill() {
	sed -e "s|@VERSION@|$VERSION|g" -e "s|@ARCH@|$arch|g" -e "s|@WEBKIT@|$webkit|g" "$1"
}

# shlibs_depends BINARY: the Depends a binary's shared libraries need, by
# dpkg-shlibdeps (which wants a debian/control to stand in).
shlibs_depends() {
	mkdir -p "$work/shlibs/debian"
	printf 'Source: doorstep\n\nPackage: doorstep\nArchitecture: any\n' >"$work/shlibs/debian/control"
	(cd "$work/shlibs" && dpkg-shlibdeps -O "$1") | sed -n 's/^shlibs:Depends=//p'
}

# docs STAGE PACKAGE: copyright, changelog and man page where lintian looks.
docs() {
	local stage=$1 pkg=$2 section=$3 page=$4
	install -D -m 0644 packaging/copyright "$stage/usr/share/doc/$pkg/copyright"
	{
		printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$debver"
		printf '  * Doorstep %s.\n\n' "$VERSION"
		printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	} | gzip -9n >"$work/changelog.gz"
	install -m 0644 "$work/changelog.gz" "$stage/usr/share/doc/$pkg/changelog.gz"
	install -d "$stage/usr/share/man/man$section"
	gzip -9n <"$page" >"$stage/usr/share/man/man$section/${page##*/}.gz"
	install -D -m 0644 "packaging/$5/lintian-overrides" "$stage/usr/share/lintian/overrides/$pkg"
}

# deb STAGE PACKAGE DEPENDS: the control file, md5sums and OUTDIR/PACKAGE_DEBVER_ARCH.deb.
deb() {
	local stage=$1 pkg=$2 depends=$3 dir=$4 size
	size=$(du -sk --apparent-size "$stage" | cut -f1)
	install -d "$stage/DEBIAN"
	sed -e "s|@VERSION@|$debver|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
		-e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" "packaging/$dir/control" >"$stage/DEBIAN/control"
	(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' md5sum) >"$stage/DEBIAN/md5sums"
	normalise "$stage"
	[ ! -f "$stage/DEBIAN/conffiles" ] || chmod 0644 "$stage/DEBIAN/conffiles"
	# Secrets (the SMTP password, the SMS token) go into the settings file.
	[ ! -f "$stage/etc/default/doorstep-server" ] || chmod 0600 "$stage/etc/default/doorstep-server"
	dpkg-deb --root-owner-group --threads-max=1 -Zxz --build "$stage" "$out/${pkg}_${debver}_$arch.deb" >/dev/null
	echo "built $out/${pkg}_${debver}_$arch.deb"
}

build_server() {
	go build -tags "$tags" -ldflags "$ldflags" -o "$work/doorstep-server" ./backend/cmd/doorstep-server
	local stage=$work/server-deb
	install -D -m 0755 "$work/doorstep-server" "$stage/usr/bin/doorstep-server"
	# Debian 12 keeps units under /lib (usr-merged: the same place).
	install -D -m 0644 packaging/server/doorstep-server.service "$stage/lib/systemd/system/doorstep-server.service"
	install -D -m 0600 packaging/server/doorstep-server.default "$stage/etc/default/doorstep-server"
	docs "$stage" doorstep-server 1 packaging/server/doorstep-server.1 server
	fill packaging/server/README >"$work/README.server"
	install -m 0644 "$work/README.server" "$stage/usr/share/doc/doorstep-server/README"
	install -d "$stage/DEBIAN"
	install -m 0755 packaging/server/postinst packaging/server/prerm packaging/server/postrm "$stage/DEBIAN/"
	echo /etc/default/doorstep-server >"$stage/DEBIAN/conffiles"
	deb "$stage" doorstep-server "$(shlibs_depends "$stage/usr/bin/doorstep-server")" server

	local tree=$work/server-tar
	install -D -m 0755 "$work/doorstep-server" "$tree/doorstep-server"
	install -m 0644 packaging/server/doorstep-server.service "$tree/"
	install -m 0600 packaging/server/doorstep-server.default "$tree/"
	install -m 0644 "$work/README.server" "$tree/README"
	install -m 0644 packaging/copyright "$tree/COPYRIGHT"
	tarball "$tree" "doorstep-server_${VERSION}_linux_$arch"
}

# icons DIR: the app icon in the hicolor theme's sizes, under DIR/hicolor.
# PNG without time chunks, so the same icon gives the same bytes.
icons() {
	local s
	for s in 16 24 32 48 64 128 256 512; do
		install -d "$1/hicolor/${s}x$s/apps"
		convert build/appicon.png -resize "${s}x$s" -strip -define png:exclude-chunks=date,time \
			"PNG32:$1/hicolor/${s}x$s/apps/doorstep.png"
	done
}

build_desktop() {
	make --no-print-directory frontend/dist/index.html
	# Wails writes into build/bin; a name of its own leaves the dev build alone.
	go tool -modfile=tools/go.mod wails build -s -m -nosyncgomod -skipbindings -nocolour -trimpath \
		-tags "$tags" -ldflags "$ldflags" -o doorstep-package >/dev/null
	mv build/bin/doorstep-package "$work/doorstep"
	icons "$work/icons"

	local stage=$work/desktop-deb
	install -D -m 0755 "$work/doorstep" "$stage/usr/bin/doorstep"
	install -D -m 0644 build/linux/doorstep.desktop "$stage/usr/share/applications/doorstep.desktop"
	install -d "$stage/usr/share/icons"
	cp -r "$work/icons/hicolor" "$stage/usr/share/icons/"
	docs "$stage" doorstep 1 packaging/desktop/doorstep.1 desktop
	deb "$stage" doorstep "$(shlibs_depends "$stage/usr/bin/doorstep")" desktop

	local tree=$work/desktop-tar
	install -D -m 0755 "$work/doorstep" "$tree/doorstep"
	install -m 0644 build/linux/doorstep.desktop "$tree/"
	cp -r "$work/icons" "$tree/icons"
	fill packaging/desktop/README >"$tree/README"
	install -m 0644 packaging/copyright "$tree/COPYRIGHT"
	tarball "$tree" "doorstep_${VERSION}_linux_$arch"
}

echo "package-linux: Doorstep $VERSION (Debian $debver), $webkit, time stamps $(date -u -d "@$SOURCE_DATE_EPOCH" +%FT%TZ)"
for p in $packages; do
	case "$p" in
	desktop) build_desktop ;;
	server) build_server ;;
	*)
		echo "package-linux: unknown package $p (desktop, server)" >&2
		exit 2
		;;
	esac
done
