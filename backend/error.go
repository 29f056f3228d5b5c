package backend

import (
	"errors"
	"fmt"
)

// Error codes: stable machine-readable strings shared by the server, the Go
// client and the desktop UI. Never rename one; add new ones instead.
const (
	EINVALID     = "invalid_input"      // the request is malformed or breaks a rule about its content
	ENOTFOUND    = "not_found"          // no such resource, or the caller may not know it exists
	EMETHOD      = "method_not_allowed" // the resource exists but not with this HTTP method
	ETOOLARGE    = "too_large"          // a body, header or file is over its limit
	EUNAVAILABLE = "unavailable"        // the server is up but cannot serve (database down, disk full, shutting down)
	ERATELIMITED = "rate_limited"       // too many attempts or requests; try again after RetryAfter
	EINTERNAL    = "internal"           // a bug or unexpected failure; details are only in the server log

	// EUNREACHABLE is produced by clients, never sent by the server: the
	// server could not be reached at all (refused, timed out, DNS, TLS).
	EUNREACHABLE = "unreachable"
)

// Codes lists every error code, in the order API.md's table gives them.
// The desktop UI keeps a copy (frontend/src/lib/api/codes.ts) that a test
// holds equal to this list.
var Codes = []string{
	EINVALID, EUNAUTHORIZED, EFORBIDDEN, EMAINUSERONLY, ETENANTCANNOTINITIATE, ETENANTNOTACTIVE,
	ENOTAMEMBER, ENOTFOUND, EMETHOD, ECONFLICT, ETOOLARGE, ERATELIMITED, EUNAVAILABLE, EINTERNAL, EUNREACHABLE,
}

// Error is the one error type that crosses layer boundaries. Message is a
// sentence fit to show a landlord or tenant; internal details never go in it.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter, in whole seconds, is when trying again may succeed: set
	// with rate_limited and unavailable answers (HTTP sends it as the
	// Retry-After header too); 0 when there is nothing to wait for.
	RetryAfter int `json:"retry_after,omitempty"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human sentence of the first *Error in err's chain,
// and a generic sentence for any other error so internals never reach a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong. Please try again; if it keeps happening, check the server log."
}

// RetryAfter returns the seconds to wait before trying again carried by the
// first *Error in err's chain, or 0.
func RetryAfter(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
