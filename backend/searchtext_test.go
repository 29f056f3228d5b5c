package backend_test

import (
	"testing"

	"doorstep/backend"
)

func TestHistoryLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		loaded, total int64
		done          bool
		want          string
	}{
		{0, 200, false, "Loading history for search: 0%"},
		{90, 200, false, "Loading history for search: 45%"},
		{199, 200, false, "Loading history for search: 99%"}, // rounded down: not 100% before it is done
		{250, 200, false, "Loading history for search: 100%"},
		{200, 200, true, ""},
		{0, 0, false, ""}, // nothing to load
	} {
		if got := backend.HistoryLabel(c.loaded, c.total, c.done); got != c.want {
			t.Errorf("HistoryLabel(%d, %d, %v) = %q, want %q", c.loaded, c.total, c.done, got, c.want)
		}
	}
}

func TestSearchCountLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		count int
		more  bool
		want  string
	}{
		{0, false, "No message matches."},
		{1, false, "1 message"},
		{12, false, "12 messages"},
		{100, true, "100+ messages (the newest shown)"},
		{1, true, "1+ messages (the newest shown)"},
	} {
		if got := backend.SearchCountLabel(c.count, c.more); got != c.want {
			t.Errorf("SearchCountLabel(%d, %v) = %q, want %q", c.count, c.more, got, c.want)
		}
	}
}
