#!/usr/bin/env bash
# Server benchmarks under load, measured from outside the server process:
# backend/cmd/doorstep-load drives a real doorstep-server (a fresh process
# for each scenario) and, in the same run, the raw gorilla/websocket fan-out
# floor (backend/cmd/doorstep-load/rawfanout), RUNS times each:
#
#   A      200 sends/s over 100 one-to-one rooms, 1 receiver each: delivery p50/p99
#   B      100 tenants sending in closed loop: durable acknowledged sends/s, ack p50/p99
#   C      100 sends/s over 100 groups of 10 receivers: delivery p50/p99, server RSS
#   idle   CONNS websockets held: server RSS, RSS per websocket
#   storm  CONNS websockets dropped and reopened with since: time until all ready,
#          missed events, RSS once all have closed
#
# A last pass with -pprof saves heap and goroutine profiles at 1,000 and
# CONNS websockets, and a CPU profile during C. Everything lands in
# test-output/bench-server/: bench.txt (benchmark lines, for benchstat),
# table.txt (medians, Doorstep beside the floor), benchstat.txt, the
# profiles and their top lists.
#
# Environment: RUNS (5), CONNS (10000), DURATION (5s, how long A, B and C
# send), SERVER_BIN (a doorstep-server to measure; default: built from
# this tree).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

RUNS=${RUNS:-5}
CONNS=${CONNS:-10000}
DURATION=${DURATION:-5s}
SERVER_BIN=${SERVER_BIN:-}
OUT=test-output/bench-server
LANDLORD=landlord@demo.doorstep
PASSWORD=doorstep-demo

# Each websocket is a descriptor in the server and one in the load.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CONNS + 1024)) ]; then
	echo "bench-server: $CONNS websockets need an open-file limit above $((CONNS + 1024)); it is $(ulimit -n) (ulimit -Hn)" >&2
	exit 1
fi

WORK=$(mktemp -d)
SERVER_PID=
RAW_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
	[ -n "$RAW_PID" ] && stop_pid "$RAW_PID"
	rm -rf "$WORK"
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
echo "bench-server: building"
if [ -z "$SERVER_BIN" ]; then
	SERVER_BIN=$WORK/doorstep-server
	go build -tags sqlite_fts5 -o "$SERVER_BIN" ./backend/cmd/doorstep-server
fi
go build -o "$WORK/doorstep-load" ./backend/cmd/doorstep-load
go build -o "$WORK/rawfanout" ./backend/cmd/doorstep-load/rawfanout
LOAD=$WORK/doorstep-load

# The demo landlord, and CONNS tenants in units of 10 (doorstep-server
# import), each with a session of its own (doorstep-load setup).
DATA=$WORK/data
UNITS=$(((CONNS + 9) / 10))
"$SERVER_BIN" demo -data "$DATA" >/dev/null
"$LOAD" csv -groups "$UNITS" -size 10 >"$WORK/load.csv"
"$SERVER_BIN" import -landlord "$LANDLORD" -data "$DATA" "$WORK/load.csv"
SERVE_FLAGS=(-data "$DATA" -new-message-email 0 -sign-every 0 -create-rate off -redeem-rate off)

# start_doorstep [FLAGS...]: a fresh server process over the load's data.
start_doorstep() {
	local url_file=$WORK/server.url
	rm -f "$url_file"
	"$SERVER_BIN" serve -addr 127.0.0.1:0 -url-file "$url_file" "${SERVE_FLAGS[@]}" "$@" >"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	local i
	for i in $(seq 1 300); do
		[ -s "$url_file" ] && { SERVER_URL=$(cat "$url_file"); return 0; }
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; return 1; }
		sleep 0.1
	done
	echo "doorstep-server did not start" >&2
	return 1
}
stop_doorstep() { stop_pid "$SERVER_PID"; SERVER_PID=; }

start_raw() {
	local url_file=$WORK/raw.url
	rm -f "$url_file"
	"$WORK/rawfanout" -addr 127.0.0.1:0 -url-file "$url_file" >"$WORK/raw.log" 2>&1 &
	RAW_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$url_file" ] && { RAW_URL=$(cat "$url_file"); return 0; }
		sleep 0.1
	done
	echo "rawfanout did not start" >&2
	return 1
}
stop_raw() { stop_pid "$RAW_PID"; RAW_PID=; }

start_doorstep
"$LOAD" setup -url "$SERVER_URL" -email "$LANDLORD" -password "$PASSWORD" -state "$WORK/state.json"
stop_doorstep

RUN_FLAGS=(-conns "$CONNS" -duration "$DURATION")
started=$(date +%s)
for run in $(seq 1 "$RUNS"); do
	echo "bench-server: run $run of $RUNS ($(($(date +%s) - started)) s so far)"
	for scenario in A B C storm; do
		start_doorstep
		"$LOAD" run -url "$SERVER_URL" -state "$WORK/state.json" -pid "$SERVER_PID" -scenario "$scenario" "${RUN_FLAGS[@]}" \
			2>>"$OUT/load.log" | tee -a "$OUT/bench.txt"
		stop_doorstep
	done
	for scenario in A C idle; do
		start_raw
		"$LOAD" run -raw -url "$RAW_URL" -pid "$RAW_PID" -scenario "$scenario" "${RUN_FLAGS[@]}" \
			2>>"$OUT/load.log" | tee -a "$OUT/bench.txt"
		stop_raw
	done
done

# The profiles, in a pass of their own: taking them costs the server time
# (and a heap profile a GC), so its figures stay out of the medians.
echo "bench-server: profiles"
for scenario in storm C; do
	start_doorstep -metrics-addr 127.0.0.1:0 -pprof
	pprof=$(grep -o 'http://[^ ]*/metrics' "$WORK/server.log" | sed 's|/metrics$|/debug/pprof|')
	"$LOAD" run -url "$SERVER_URL" -state "$WORK/state.json" -pid "$SERVER_PID" -scenario "$scenario" "${RUN_FLAGS[@]}" \
		-pprof "$pprof" -profiles "$OUT" 2>>"$OUT/load.log" >>"$OUT/profiled.txt"
	if [ "$scenario" = C ]; then
		for p in block mutex; do
			curl -sf "$pprof/$p" -o "$OUT/doorstep-$p-C.pb.gz" || true
		done
	fi
	stop_doorstep
done
for f in "$OUT"/doorstep-heap-*.pb.gz; do
	go tool pprof -top -sample_index=inuse_space "$SERVER_BIN" "$f" >"${f%.pb.gz}.top.txt" 2>/dev/null || true
done
for f in "$OUT"/doorstep-cpu-*.pb.gz "$OUT"/doorstep-block-*.pb.gz "$OUT"/doorstep-mutex-*.pb.gz; do
	[ -s "$f" ] && go tool pprof -top "$SERVER_BIN" "$f" >"${f%.pb.gz}.top.txt" 2>/dev/null || true
done

go tool -modfile=tools/go.mod benchstat -col /target "$OUT/bench.txt" >"$OUT/benchstat.txt" 2>&1 || true
echo
echo "bench-server: medians of $RUNS runs ($(($(date +%s) - started)) s); Doorstep against the raw gorilla/websocket floor"
"$LOAD" table "$OUT/bench.txt" | tee "$OUT/table.txt"
echo "(benchmark lines in $OUT/bench.txt, benchstat in $OUT/benchstat.txt, profiles in $OUT/)"
