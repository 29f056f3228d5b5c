package backend_test

import (
	"errors"
	"fmt"
	"testing"

	"doorstep/backend"
)

func TestErrorCode(t *testing.T) {
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
