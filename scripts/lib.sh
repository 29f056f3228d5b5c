# Helpers shared by the test and run scripts. Source it; do not run it.

# start_server LOG ADDR [SERVE FLAGS...]: starts build/bin/doorstep-server in
# the background, logging to LOG; sets SERVER_PID and SERVER_URL once it
# listens and is healthy.
start_server() {
	local log=$1 addr=$2
	shift 2
	local url_file
	url_file="$(dirname "$log")/server.url"
	rm -f "$url_file"
	build/bin/doorstep-server serve -addr "$addr" -url-file "$url_file" "$@" >"$log" 2>&1 &
	SERVER_PID=$!
	local i
	for i in $(seq 1 300); do
		if [ -s "$url_file" ]; then
			SERVER_URL=$(cat "$url_file")
			build/bin/doorstep-server health -url "$SERVER_URL" -wait 30s >/dev/null
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "doorstep-server did not start:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "doorstep-server did not start within 30 s" >&2
	return 1
}

# stop_pid PID: ends a process we started (TERM, then KILL after 10 s).
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Helpers for scripts that drive the real window under Xvfb. They keep their
# scratch files in $WORK and the screenshots worth keeping in $OUT, and fail
# when the app ($APP_PID) has exited.

# ocr FILE: reads the text of a screenshot into $WORK/ocr.txt, twice: at
# twice the size (small print such as file names is read far more reliably)
# and as it is. Tesseract's page layout analysis sometimes drops a whole
# block at one scale (seen: the first conversation's name beside the
# "Online" badge while the drag source's window overlaps the corner); the
# other scale reads it.
ocr() {
	convert "$1" -resize 200% "$WORK/ocr.png"
	tesseract "$WORK/ocr.png" "$WORK/ocr-2x" >/dev/null 2>&1 || : >"$WORK/ocr-2x.txt"
	tesseract "$1" "$WORK/ocr-1x" >/dev/null 2>&1 || : >"$WORK/ocr-1x.txt"
	# The crowded header's small print (the signed-in user) was missed at
	# both scales; three times the size reads it.
	convert "$1" -resize 300% "$WORK/ocr3.png"
	tesseract "$WORK/ocr3.png" "$WORK/ocr-3x" >/dev/null 2>&1 || : >"$WORK/ocr-3x.txt"
	cat "$WORK/ocr-2x.txt" "$WORK/ocr-1x.txt" "$WORK/ocr-3x.txt" >"$WORK/ocr.txt"
}

# wait_for_text NAME WORDS...: screenshots (OCR) every second for up to 60 s
# until every word is on screen; keeps the last one as $OUT/NAME.png.
wait_for_text() {
	local name=$1 i w missing
	shift
	for i in $(seq 1 60); do
		kill -0 "$APP_PID" 2>/dev/null || { echo "FAIL: the app exited; its log:" >&2; cat "$WORK/app.log" >&2; return 1; }
		import -window root "$WORK/shot.png"
		ocr "$WORK/shot.png"
		missing=
		for w in "$@"; do grep -qF "$w" "$WORK/ocr.txt" || missing="$missing [$w]"; done
		if [ -z "$missing" ]; then
			cp "$WORK/shot.png" "$OUT/$name.png"
			return 0
		fi
		sleep 1
	done
	cp "$WORK/shot.png" "$OUT/$name.png"
	echo "FAIL: $name: not on screen:$missing; see $OUT/$name.png" >&2
	return 1
}

# locate_text FILE WORD: prints "x y w h" of WORD in the screenshot FILE,
# in its pixels, or fails. Like ocr, it reads at both scales: the page
# layout analysis sometimes drops a whole block (seen: the window's header
# with its About button) at one of them.
locate_text() {
	local found
	tesseract "$1" "$WORK/locate-1x" tsv >/dev/null 2>&1 || true
	found=$(awk -F'\t' -v word="$2" '$12 == word { print $7, $8, $9, $10; exit }' "$WORK/locate-1x.tsv" 2>/dev/null || true)
	if [ -z "$found" ]; then
		convert "$1" -resize 200% "$WORK/locate.png"
		tesseract "$WORK/locate.png" "$WORK/locate-2x" tsv >/dev/null 2>&1 || true
		found=$(awk -F'\t' -v word="$2" '$12 == word { print int($7 / 2), int($8 / 2), int($9 / 2), int($10 / 2); exit }' "$WORK/locate-2x.tsv" 2>/dev/null || true)
	fi
	[ -n "$found" ] && echo "$found"
}

# click_text WORD: clicks the middle of WORD where OCR finds it on screen.
click_text() {
	local x y w h
	import -window root "$WORK/shot.png"
	read -r x y w h < <(locate_text "$WORK/shot.png" "$1") || true
	if [ -z "${x:-}" ]; then
		cp "$WORK/shot.png" "$OUT/window-no-$1.png"
		echo "FAIL: '$1' is not on screen; see $OUT/window-no-$1.png" >&2
		return 1
	fi
	xdotool mousemove $((x + w / 2)) $((y + h / 2)) click 1
}
