#!/bin/sh
# Prints the version every binary and package of this checkout reports.
#
# A tagged commit (vX.Y.Z) is X.Y.Z; after a tag, git describe's
# X.Y.Z-N-gHASH; with no tag at all, 0.1.0-dev.N+gHASH where N is the
# number of commits, so later commits sort later. "-dirty" (or ".dirty")
# marks uncommitted changes. Outside a git checkout: 0.1.0-dev.
set -eu
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo 0.1.0-dev
	exit 0
fi
if d=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
	echo "${d#v}"
	exit 0
fi
n=$(git rev-list --count HEAD)
h=$(git rev-parse --short=12 HEAD)
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=.dirty
echo "0.1.0-dev.$n+g$h$dirty"
