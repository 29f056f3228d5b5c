package backend

import (
	"fmt"
	"time"
)

// LockoutDuration is how long the n-th sign-in lock-out in a row lasts
// (n ≥ 1): first, doubled with each further one, never longer than ceiling.
// Growing lock-outs slow a guesser down more and more, while the cap keeps
// anyone from locking a landlord out for long by failing on purpose.
func LockoutDuration(n int, first, ceiling time.Duration) time.Duration {
	if n < 1 || first <= 0 {
		return 0
	}
	d := first
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	if ceiling > 0 && d > ceiling {
		d = ceiling
	}
	return d
}

// RetryAfterSeconds turns a wait into the whole seconds an Error's
// RetryAfter (and the Retry-After header) carries: rounded up, at least 1,
// so a client never retries a moment too early or at once.
func RetryAfterSeconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}

// rateLimited is a rate_limited Error: what was refused, and when trying
// again will work, in words and in RetryAfter.
func rateLimited(wait time.Duration, sentence string) *Error {
	return &Error{Code: ERATELIMITED, Message: sentence + " Try again in " + inWords(wait) + ".", RetryAfter: RetryAfterSeconds(wait)}
}

// inWords says a wait the way a person would, rounded up to whole seconds,
// minutes or hours so the wait said is never too short.
func inWords(wait time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch s := RetryAfterSeconds(wait); {
	case s < 60:
		return unit(s, "second")
	case s < 3600:
		return unit((s+59)/60, "minute")
	default:
		return unit((s+3599)/3600, "hour")
	}
}

// SignInAccountLocked is the answer while an account is locked after
// repeated failed sign-ins: even the right password is refused until then.
func SignInAccountLocked(wait time.Duration) *Error {
	return rateLimited(wait, "Too many failed sign-in attempts for this account.")
}

// SignInAddressLocked is the answer while a client address is locked after
// repeated failed sign-ins, whichever accounts they were for.
func SignInAddressLocked(wait time.Duration) *Error {
	return rateLimited(wait, "Too many failed sign-in attempts from your network.")
}

// SignInTooFast is the answer when a client address tries to sign in more
// often than the server checks passwords for one address.
func SignInTooFast(wait time.Duration) *Error {
	return rateLimited(wait, "Too many sign-in attempts from your network.")
}

// LinksTooFast is the answer when a client address tries too many invite
// or portal links, mostly ones that did not work.
func LinksTooFast(wait time.Duration) *Error {
	return rateLimited(wait, "Too many sign-in links were tried from your network.")
}

// UploadsTooFast is the answer when someone starts more file uploads in a
// short time than the server takes.
func UploadsTooFast(wait time.Duration) *Error {
	return rateLimited(wait, "Too many files were sent in a short time.")
}

// InvitesTooFast is the answer when a landlord makes more portal links in a
// short time than the server takes.
func InvitesTooFast(wait time.Duration) *Error {
	return rateLimited(wait, "Too many portal links were made in a short time.")
}

// EventsTooFast is the answer when one session opens the live event stream
// again and again.
func EventsTooFast(wait time.Duration) *Error {
	return rateLimited(wait, "The live connection was opened too often in a short time.")
}
