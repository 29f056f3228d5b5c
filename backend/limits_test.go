package backend_test

import (
	"testing"
	"time"

	"doorstep/backend"
)

func TestLockoutDuration(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for n := range 8 {
		got = append(got, backend.LockoutDuration(n, time.Minute, 15*time.Minute))
	}
	want := []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lock-out %d lasts %s, want %s", i, got[i], want[i])
		}
	}
	if d := backend.LockoutDuration(1000, time.Minute, time.Hour); d != time.Hour {
		t.Errorf("the 1000th lock-out lasts %s, want the cap", d)
	}
}

func TestRateLimitedSentences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err        *backend.Error
		msg        string
		retryAfter int
	}{
		{backend.SignInAccountLocked(4 * time.Minute), "Too many failed sign-in attempts for this account. Try again in 4 minutes.", 240},
		{backend.SignInAccountLocked(61 * time.Second), "Too many failed sign-in attempts for this account. Try again in 2 minutes.", 61},
		{backend.SignInAddressLocked(time.Minute), "Too many failed sign-in attempts from your network. Try again in 1 minute.", 60},
		{backend.SignInTooFast(1500 * time.Millisecond), "Too many sign-in attempts from your network. Try again in 2 seconds.", 2},
		{backend.LinksTooFast(time.Millisecond), "Too many sign-in links were tried from your network. Try again in 1 second.", 1},
		{backend.UploadsTooFast(90 * time.Minute), "Too many files were sent in a short time. Try again in 2 hours.", 5400},
		{backend.InvitesTooFast(time.Second), "Too many portal links were made in a short time. Try again in 1 second.", 1},
		{backend.EventsTooFast(20 * time.Second), "The live connection was opened too often in a short time. Try again in 20 seconds.", 20},
	} {
		if tc.err.Code != backend.ERATELIMITED || tc.err.Message != tc.msg || tc.err.RetryAfter != tc.retryAfter {
			t.Errorf("got %+v, want %q with RetryAfter %d", tc.err, tc.msg, tc.retryAfter)
		}
	}
}
