package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBenchTrace(t *testing.T) {
	t.Parallel()
	t.Run("OffUnlessAsked", func(t *testing.T) {
		tr := NewBenchTrace(func(string) string { return "" })
		if tr.Enabled() {
			t.Fatal("enabled without " + BenchTraceEnv)
		}
		if err := tr.Mark("list", 0); err != nil {
			t.Fatalf("a mark while off failed: %v", err)
		}
	})
	t.Run("AppendsOneLinePerMark", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "trace")
		tr := NewBenchTrace(func(name string) string {
			if name == BenchTraceEnv {
				return path
			}
			return ""
		})
		if !tr.Enabled() {
			t.Fatal("not enabled with " + BenchTraceEnv)
		}
		at := time.UnixMicro(1_700_000_000_123_456)
		tr.now = func() time.Time { return at }
		if err := tr.Mark("list", 0); err != nil {
			t.Fatal(err)
		}
		at = at.Add(1500 * time.Microsecond)
		if err := tr.Mark("key\npainted", 12.3456); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := "1700000000123456 list 0.000\n1700000000124956 key-painted 12.346\n"
		if string(got) != want {
			t.Errorf("trace:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("ErrUnwritable", func(t *testing.T) {
		tr := NewBenchTrace(func(string) string { return filepath.Join(t.TempDir(), "missing", "trace") })
		if err := tr.Mark("list", 0); err == nil {
			t.Fatal("a trace that cannot be written did not fail")
		}
	})
}
