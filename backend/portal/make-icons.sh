#!/usr/bin/env bash
# Makes the portal's app icons (assets/icons/*.png) from assets/icon.svg, the
# one drawing of the icon: run it after changing the SVG and commit the PNGs.
# The server only serves them, so neither a build nor a test needs the
# renderer (rsvg-convert, Debian's librsvg2-bin). The same SVG and renderer
# give the same bytes: rsvg-convert writes no date or other varying chunk.
#
# The maskable icon is the same drawing without the rounded corners: its
# background fills the square, and the house already sits inside the central
# circle (radius 40 %) that every mask keeps.
set -euo pipefail
cd "$(dirname "$0")/assets"
command -v rsvg-convert >/dev/null || { echo "make-icons.sh needs rsvg-convert: apt-get install librsvg2-bin" >&2; exit 1; }
for size in 192 512; do
	rsvg-convert --width "$size" --height "$size" --format png --output "icons/icon-$size.png" icon.svg
	sed 's/ rx="[0-9.]*"//' icon.svg | rsvg-convert --width "$size" --height "$size" --format png --output "icons/icon-maskable-$size.png"
done
