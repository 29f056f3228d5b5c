package app

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// BenchTraceEnv names the file a benchmark reads the UI's paint marks from
// (scripts/bench-desktop.sh). Unset, as it always is outside the benchmark,
// the UI records nothing and BenchTrace writes nothing.
const BenchTraceEnv = "DOORSTEP_BENCH_TRACE"

// BenchTrace is bound to the UI, which tells it when something a benchmark
// waits for is on screen (frontend/src/lib/api/benchtrace.ts): the
// conversation list painted, a thread painted after a click, a typed key
// painted. Each mark is a line appended to the trace file:
//
//	<wall clock, µs since 1970> <name> <milliseconds the UI measured>
//
// The wall clock, not a monotonic one: it is the clock the shell that
// started the process can read too (bash's EPOCHREALTIME), and the figure
// made from it spans two processes.
type BenchTrace struct {
	path string
	mu   sync.Mutex // one line at a time
	now  func() time.Time
}

// NewBenchTrace traces to the file named by BenchTraceEnv, if any.
func NewBenchTrace(getenv func(string) string) *BenchTrace {
	return &BenchTrace{path: getenv(BenchTraceEnv), now: time.Now}
}

// Enabled reports whether the UI should record its marks.
func (t *BenchTrace) Enabled() bool { return t.path != "" }

// Mark appends one mark: name (a word) and what the UI measured, in
// milliseconds (0 when the time of the mark is the figure).
func (t *BenchTrace) Mark(name string, ms float64) error {
	if t.path == "" {
		return nil
	}
	at := t.now().UnixMicro()
	name = strings.Join(strings.Fields(name), "-")
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("bench trace: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%d %s %.3f\n", at, name, ms); err != nil {
		f.Close()
		return fmt.Errorf("bench trace: %w", err)
	}
	return f.Close()
}
