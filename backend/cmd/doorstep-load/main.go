// Command doorstep-load is the load generator of `make bench-server`. It
// starts nothing itself: it drives a doorstep-server that is already running
// (or the raw gorilla/websocket fan-out server of ./rawfanout, the floor the
// figures are compared with) from its own process, over HTTP and websockets
// on loopback, and prints what it measured: one Go benchmark line per run
// (for benchstat) and, with `table`, a readable table of medians.
//
// Usage:
//
//	doorstep-load csv [-groups 1000] [-size 10] > load.csv      # then: doorstep-server import -landlord EMAIL load.csv
//	doorstep-load setup -url URL -email EMAIL -password PW -state FILE [-rooms 100]
//	doorstep-load run -url URL -state FILE -scenario A|B|C|idle|storm [-pid PID] [-pprof URL -profiles DIR]
//	doorstep-load run -raw -url URL -scenario A|C|idle [-pid PID]              # against ./rawfanout
//	doorstep-load table FILE
//
// The scenarios (delivery is timed from the start of the send to the
// event's arrival on a receiver's websocket):
//
//	A      200 sends/s spread over 100 one-to-one rooms, 1 receiver each: delivery p50/p99
//	B      100 tenants each sending in their room in a closed loop: durable acknowledged sends/s, ack p50/p99, errors
//	C      100 sends/s over 100 group rooms of 10 receivers (1,000 receivers): delivery p50/p99, the
//	       spread from a message's first receiver to its last (p99), server RSS
//	idle   N websockets held open: server RSS, and RSS per websocket above the server's before they opened
//	storm  idle, then every websocket dropped and reopened at once with since while messages are sent:
//	       time until all are ready again, missed events (must be 0), and the server's RSS 10 s after
//	       all have closed (-closed-wait)
//
// The server's memory is read from /proc/PID/status, so the generator runs
// on the server's machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "doorstep-load:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: doorstep-load csv|setup|run|table [flags] (see the package documentation)")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "csv":
		return csvCmd(args, stdout, stderr)
	case "setup":
		return setupCmd(ctx, args, stdout, stderr)
	case "run":
		return runCmd(ctx, args, stdout, stderr)
	case "table":
		return tableCmd(args, stdout, stderr)
	default:
		return fmt.Errorf("unknown command %q (commands: csv, setup, run, table)", cmd)
	}
}
