package postgres

import (
	"encoding/json"
	"testing"
	"time"
)

// TestFromSQLite: each PostgreSQL type takes SQLite's form of the same
// value, and refuses a value that is not one.
func TestFromSQLite(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 30, 15, 123456789, time.UTC)
	for _, tc := range []struct {
		pgType string
		in     any
		want   any // nil with wantErr
		err    bool
	}{
		{"bigint", int64(42), int64(42), false},
		{"integer", nil, nil, false},
		{"bigint", "42", nil, true},
		{"text", "Maria", "Maria", false},
		{"text", int64(1), nil, true},
		{"bytea", []byte{1, 2}, []byte{1, 2}, false},
		{"boolean", int64(1), true, false},
		{"boolean", int64(0), false, false},
		{"boolean", int64(2), nil, true},
		// To the microsecond; the rest of the second's fraction is kept
		// apart where a hash covers it (created_ns, signed_ns).
		{"timestamp with time zone", "2026-11-28T09:30:15.123456789Z", at.Truncate(time.Microsecond), false},
		{"timestamp with time zone", "2026-11-28T10:30:15.123456789+01:00", at.Truncate(time.Microsecond), false},
		{"timestamp with time zone", "yesterday", nil, true},
		{"date", "2026-02-28", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), false},
		{"date", "2026-02-30", nil, true},
		{"jsonb", `{"words":["leak"]}`, json.RawMessage(`{"words":["leak"]}`), false},
		{"jsonb", `{"words":`, nil, true},
	} {
		convert, err := fromSQLite(tc.pgType)
		if err != nil {
			t.Fatalf("%s: %v", tc.pgType, err)
		}
		got, err := convert(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%s from %#v: error %v, want error %v", tc.pgType, tc.in, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(tc.want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s from %#v: %s, want %s", tc.pgType, tc.in, gotJSON, wantJSON)
		}
	}
	if _, err := fromSQLite("point"); err == nil {
		t.Error("a type the move does not know was taken")
	}
	ns, err := nanosBeyondMicrosecond("2026-11-28T09:30:15.123456789Z")
	if err != nil || ns != int16(789) {
		t.Errorf("nanoseconds beyond the microsecond: %v, %v; want 789", ns, err)
	}
}
