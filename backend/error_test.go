package backend_test

import (
	"errors"
	"fmt"
	"testing"

	"doorstep/backend"
)

func TestErrorCode(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("loading: %w", backend.Errorf(backend.ENOTFOUND, "No such tenant."))
	for _, tc := range []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"Nil", nil, "", ""},
		{"Wrapped", wrapped, backend.ENOTFOUND, "No such tenant."},
		{"ForeignErrorIsInternal", errors.New("sql: connection refused on 10.0.0.1"), backend.EINTERNAL,
			"Something went wrong. Please try again; if it keeps happening, check the server log."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := backend.ErrorCode(tc.err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
			if got := backend.ErrorMessage(tc.err); got != tc.msg {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.msg)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	limited := &backend.Error{Code: backend.ERATELIMITED, Message: "Too many attempts.", RetryAfter: 30}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"Nil", nil, 0},
		{"Foreign", errors.New("disk full"), 0},
		{"NoWait", backend.Errorf(backend.EINVALID, "No."), 0},
		{"Wrapped", fmt.Errorf("sign in: %w", limited), 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := backend.RetryAfter(tc.err); got != tc.want {
				t.Errorf("RetryAfter = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCodesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range backend.Codes {
		if seen[c] {
			t.Errorf("code %q listed twice", c)
		}
		seen[c] = true
	}
}
