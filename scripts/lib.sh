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
