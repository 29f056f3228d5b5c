package httpapi

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// lockNow fails key until it is locked.
func lockNow(l *keyedLimiter, now time.Time, key string) {
	for range l.policy.lockAfter {
		t, _, why := l.begin(now, key, false)
		if why != allowed {
			return
		}
		t.end(now, failed)
	}
}

func TestKeyedLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	t.Run("AFloodOfKeysStaysUnderTheBound", func(t *testing.T) {
		l := newKeyedLimiter(limitPolicy{rate: 1, burst: 5, lockAfter: 3, lockFirst: time.Minute, lockMax: time.Hour})
		l.maxKeys = 1000
		for i := range 20_000 {
			tk, _, _ := l.begin(t0, fmt.Sprint("flood-", i), false)
			tk.end(t0, failed)
		}
		if n := l.size(); n > 1000 {
			t.Errorf("%d keys remembered, bound 1000", n)
		}
	})

	t.Run("AFloodDoesNotUnlockALockedKey", func(t *testing.T) {
		l := newKeyedLimiter(limitPolicy{lockAfter: 3, lockFirst: time.Minute, lockMax: time.Hour})
		l.maxKeys = 100
		// The victim, and more locked keys after it, are the least
		// recently used when the flood comes.
		lockNow(l, t0, "victim")
		for i := range 60 {
			lockNow(l, t0, fmt.Sprint("also-locked-", i))
		}
		for i := range 10_000 {
			tk, _, _ := l.begin(t0, fmt.Sprint("flood-", i), false)
			tk.end(t0, failed)
		}
		if _, wait, why := l.begin(t0, "victim", false); why != refusedLocked || wait != time.Minute {
			t.Errorf("after the flood the victim key: %v, wait %s; want still locked for 1m", why, wait)
		}
		if n := l.size(); n > 100 {
			t.Errorf("%d keys, bound 100", n)
		}
	})

	t.Run("LockedKeysAloneStayBounded", func(t *testing.T) {
		l := newKeyedLimiter(limitPolicy{lockAfter: 1, lockFirst: time.Minute, lockMax: time.Hour})
		l.maxKeys = 100
		for i := range 1000 {
			lockNow(l, t0, fmt.Sprint("locked-", i))
		}
		if n := l.size(); n > 100 {
			t.Errorf("%d keys, bound 100", n)
		}
		if _, _, why := l.begin(t0, "locked-999", false); why != refusedLocked {
			t.Error("the newest locked key was pushed out")
		}
	})

	t.Run("IdleKeysAreDropped", func(t *testing.T) {
		l := newKeyedLimiter(limitPolicy{rate: 1, burst: 5, lockAfter: 3, lockFirst: time.Minute, lockMax: time.Hour})
		for i := range 500 {
			tk, _, _ := l.begin(t0, fmt.Sprint("k", i), false)
			tk.end(t0, neutral)
		}
		lockNow(l, t0, "locked")
		later := t0.Add(10 * time.Minute) // buckets full again; the lock-out is over but remembered
		tk, _, _ := l.begin(later, "k0", false)
		tk.end(later, neutral)
		if n := l.size(); n != 2 {
			t.Errorf("%d keys after the sweep; want the locked one and the one just used", n)
		}
		// A day without failures forgets the lock-outs in a row, too.
		dayLater := later.Add(lockoutMemory + sweepEvery)
		tk, _, _ = l.begin(dayLater, "k0", false)
		tk.end(dayLater, neutral)
		if n := l.size(); n != 1 {
			t.Errorf("%d keys a day later; want only the one just used", n)
		}
	})

	t.Run("KnownAddressesAreBoundedAndExpire", func(t *testing.T) {
		s := newRecentSet(time.Hour)
		s.maxKeys = 100
		for i := range 10_000 {
			s.add(t0, fmt.Sprint("pair-", i))
		}
		if len(s.keys) > 100 || !s.has(t0, "pair-9999") || s.has(t0, "pair-0") {
			t.Errorf("%d keys; newest kept %v, oldest kept %v", len(s.keys), s.has(t0, "pair-9999"), s.has(t0, "pair-0"))
		}
		if s.has(t0.Add(time.Hour), "pair-9999") {
			t.Error("a key is still known after its time")
		}
		s.add(t0.Add(2*time.Hour), "fresh")
		if len(s.keys) != 1 {
			t.Errorf("%d keys; expired ones should be gone", len(s.keys))
		}
	})
}

func TestLockoutCountsForgetOldFailures(t *testing.T) {
	t.Parallel()
	l := newKeyedLimiter(limitPolicy{lockAfter: 3, lockFirst: time.Minute, lockMax: time.Hour})
	now := t0
	for range 10 { // two failures every 15 minutes never lock
		for range 2 {
			tk, _, why := l.begin(now, "k", false)
			if why != allowed {
				t.Fatalf("refused at %s", now)
			}
			tk.end(now, failed)
		}
		now = now.Add(failWindow)
	}
}

func TestLoggableEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"landlord@example.org":              "landlord@example.org",
		" Landlord@Example.ORG ":            "landlord@example.org",
		"correct horse battery":             "(not an e-mail address)",
		"MyDog@Home 2019!":                  "(not an e-mail address)",
		"p@ss":                              "(not an e-mail address)",
		"Pat <pat@example.org>":             "(not an e-mail address)",
		`"quoted secret"@x.org`:             "(not an e-mail address)",
		"":                                  "(not an e-mail address)",
		"a@b.c" + string(make([]byte, 300)): "(not an e-mail address)",
	} {
		if got := loggableEmail(in); got != want {
			t.Errorf("loggableEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Rate{
		"30/m": {30, time.Minute}, "5/s": {5, time.Second}, "100/h": {100, time.Hour},
		"20/90s": {20, 90 * time.Second}, "off": {}, "0": {},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseRate(got.String()); back != got {
			t.Errorf("%v.String() = %q reads back as %v", got, got.String(), back)
		}
	}
	for _, bad := range []string{"", "30", "30/", "/m", "-1/m", "x/m", "30/fortnight", "30/10ms"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	got, err := ParseTrustedProxies("127.0.0.1, ::1 10.0.0.0/8,192.168.1.7/16 ::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "::1/128", "10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := ParseTrustedProxies("none"); err != nil || len(got) != 0 {
		t.Errorf("none: %v, %v", got, err)
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "1.2.3"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	s := &Server{trustedProxies: got}
	if !s.trusted(netip.MustParseAddr("10.200.0.1")) || s.trusted(netip.MustParseAddr("11.0.0.1")) {
		t.Error("trusted() disagrees with the list")
	}
}
