package httpapi

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"doorstep/backend"
)

// Rate is a number of events per period: a bucket of N that refills at N
// per Per. The zero Rate sets no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether r sets no limit.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) limit() rate.Limit {
	if r.Off() {
		return 0
	}
	return rate.Limit(float64(r.N) / r.Per.Seconds())
}

// String gives r as ParseRate reads it: "30/m", "5/s", "100/h", "20/90s"
// or "off".
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.N)
	case time.Minute:
		return fmt.Sprintf("%d/m", r.N)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.N)
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// ParseRate reads a Rate written as N/period: the period is s, m or h, or
// a duration such as 90s or 10m; "off" or "0" sets no limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return Rate{}, fmt.Errorf("%q: want a number per period such as 30/m, or off", s)
	}
	d, known := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[per]
	if !known {
		if d, err = time.ParseDuration(per); err != nil || d < time.Second {
			return Rate{}, fmt.Errorf("%q: the period is s, m, h or a duration of at least 1s such as 10m", s)
		}
	}
	return Rate{N: count, Per: d}, nil
}

// Limits are the server's rate limits and sign-in lock-outs. They are kept
// in memory by each server process (per node), and start empty when it
// starts.
type Limits struct {
	// SignInAccountFailures failed sign-ins of one account (its e-mail,
	// any case) within 15 minutes lock it; 0 never locks. A success resets
	// the count.
	SignInAccountFailures int
	// SignInAddressFailures failed sign-ins from one client address, for
	// any accounts, within 15 minutes lock that address; 0 never locks.
	SignInAddressFailures int
	// SignInLockout is how long the first lock-out lasts; each further one
	// in a row doubles it, up to SignInLockoutMax.
	SignInLockout    time.Duration
	SignInLockoutMax time.Duration
	// SignInRate bounds sign-in attempts per client address, right or
	// wrong: each one costs a bcrypt check.
	SignInRate Rate
	// RedeemRate bounds invite and portal-link redemptions per client
	// address; a failed one counts as redeemFailCost.
	RedeemRate Rate
	// CreateRate bounds new uploads (POST /files, /uploads) and new portal
	// links (POST /tenants/{id}/invites) per signed-in person, each kind
	// apart; a client address gets addressFactor times as many.
	CreateRate Rate
	// EventsRate bounds how often one session opens the event websocket.
	EventsRate Rate
	// LinkRequestRate bounds the new portal links asked for with the "new
	// link" form per e-mail address or phone number; a client address
	// gets addressFactor times as many.
	LinkRequestRate Rate
}

// How much more failures and addresses count.
const (
	// redeemFailCost: a link that does not work counts as this many tries,
	// so guessing links runs dry fast while tenants who tap a link twice
	// are not bothered.
	redeemFailCost = 5
	// addressFactor: several people may share one address (a household, an
	// office, a phone network), so an address gets this many times what
	// one person may create.
	addressFactor = 4
	// knownAddressTTL is how long an address an account signed in from
	// stays exempt from that account's lock-out (as long as a session).
	knownAddressTTL = 30 * 24 * time.Hour
)

// DefaultLimits are limits no person meets in ordinary use and that make
// guessing slow: about 5 tries per account per lock-out, lock-outs of 1,
// 2, 4, 8 then 15 minutes.
func DefaultLimits() Limits {
	return Limits{
		SignInAccountFailures: 5,
		SignInAddressFailures: 20,
		SignInLockout:         time.Minute,
		SignInLockoutMax:      15 * time.Minute,
		SignInRate:            Rate{30, time.Minute},
		RedeemRate:            Rate{10, time.Minute},
		CreateRate:            Rate{60, time.Minute},
		EventsRate:            Rate{30, time.Minute},
		LinkRequestRate:       Rate{3, time.Hour},
	}
}

// NoLimits turns every limit off (for load tests).
func NoLimits() Limits { return Limits{} }

// WithLimits sets the server's limits (default: DefaultLimits).
func WithLimits(l Limits) Option { return func(s *Server) { s.limitsConfig = &l } }

func (s *Server) limitsConfigOrDefault() Limits {
	if s.limitsConfig != nil {
		return *s.limitsConfig
	}
	return DefaultLimits()
}

// WithClock sets the clock the limits read (default: time.Now); tests move
// it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// limiters are the server's limits at work.
type limiters struct {
	signInAccount, signInAddress *keyedLimiter
	// knownAddresses are account+address pairs that signed in: the
	// account's lock-out does not apply to them (see handleSignIn).
	knownAddresses                       *recentSet
	redeem                               *keyedLimiter
	uploadsByPrincipal, uploadsByAddress *keyedLimiter
	invitesByPrincipal, invitesByAddress *keyedLimiter
	events                               *keyedLimiter
	linksByContact, linksByAddress       *keyedLimiter
}

func newLimiters(l Limits) *limiters {
	bucket := func(r Rate) limitPolicy { return limitPolicy{rate: r.limit(), burst: r.N} }
	perAddress := func(r Rate) limitPolicy { return bucket(Rate{r.N * addressFactor, r.Per}) }
	account := limitPolicy{lockAfter: max(l.SignInAccountFailures, 0), lockFirst: l.SignInLockout, lockMax: l.SignInLockoutMax, resetOnSuccess: true}
	address := bucket(l.SignInRate)
	address.lockAfter, address.lockFirst, address.lockMax = max(l.SignInAddressFailures, 0), l.SignInLockout, l.SignInLockoutMax
	redeem := bucket(l.RedeemRate)
	redeem.failCost = redeemFailCost - 1
	return &limiters{
		signInAccount:      newKeyedLimiter(account),
		signInAddress:      newKeyedLimiter(address),
		knownAddresses:     newRecentSet(knownAddressTTL),
		redeem:             newKeyedLimiter(redeem),
		uploadsByPrincipal: newKeyedLimiter(bucket(l.CreateRate)),
		uploadsByAddress:   newKeyedLimiter(perAddress(l.CreateRate)),
		invitesByPrincipal: newKeyedLimiter(bucket(l.CreateRate)),
		invitesByAddress:   newKeyedLimiter(perAddress(l.CreateRate)),
		events:             newKeyedLimiter(bucket(l.EventsRate)),
		linksByContact:     newKeyedLimiter(bucket(l.LinkRequestRate)),
		linksByAddress:     newKeyedLimiter(perAddress(l.LinkRequestRate)),
	}
}

func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// outcomeOf tells how a sign-in or redemption went: a wrong password, an
// unknown e-mail and a used or expired link are failures; trouble on the
// server's side counts neither way.
func outcomeOf(err error) outcome {
	switch backend.ErrorCode(err) {
	case "":
		return succeeded
	case backend.EUNAUTHORIZED:
		return failed
	}
	return neutral
}

// digest is a fixed-size key for something a client chose (an e-mail, a
// token): keys stay small however long the input, and no token is kept.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return string(sum[:16])
}

// accountKey is the limits' key for an e-mail: any case, no spaces around.
func accountKey(email string) string { return digest(strings.ToLower(strings.TrimSpace(email))) }

// signInAttempt is one sign-in the limits let through.
type signInAttempt struct {
	email            string
	client           clientInfo
	knownKey         string
	account, address ticket
}

// beginSignIn applies the sign-in limits: the account's lock-out (unless
// the client's address signed in to it before), then the address's
// lock-out and rate.
//
// Why the account's lock-out is bounded: anyone who knows a landlord's
// e-mail can fail on purpose and lock the account. So a lock-out is short
// (1 minute at first, at most 15 by default), it never ends a session the
// landlord already has (the desktop app stays signed in for 30 days), and
// it does not apply from an address the account signed in from in the last
// 30 days, which stays under its own address limits. A guesser elsewhere
// still gets only about 5 tries per lock-out, whichever addresses they use.
func (s *Server) beginSignIn(email string, c clientInfo) (signInAttempt, error) {
	now := s.now()
	a := signInAttempt{email: email, client: c}
	account := accountKey(email)
	a.knownKey = account + c.key()
	known := s.limits.knownAddresses.has(now, a.knownKey)
	var wait time.Duration
	var why refusal
	if a.account, wait, why = s.limits.signInAccount.begin(now, account, known); why != allowed {
		return a, backend.SignInAccountLocked(wait)
	}
	if a.address, wait, why = s.limits.signInAddress.begin(now, c.key(), false); why != allowed {
		a.account.cancel(now)
		if why == refusedLocked {
			return a, backend.SignInAddressLocked(wait)
		}
		return a, backend.SignInTooFast(wait)
	}
	return a, nil
}

// endSignIn records how the sign-in went (err from the store) and returns
// the error to answer: a failure that starts a lock-out says so at once.
func (s *Server) endSignIn(a signInAttempt, err error) error {
	now := s.now()
	o := outcomeOf(err)
	accountLock, n := a.account.end(now, o)
	addressLock, m := a.address.end(now, o)
	if o == succeeded {
		s.limits.knownAddresses.add(now, a.knownKey)
	}
	// Once per lock-out, not per refused attempt, so an attack cannot
	// flood the log.
	if accountLock > 0 {
		s.logger.Warn("sign-in locked for an account", "account", loggableEmail(a.email), "client", a.client, "for", accountLock, "lockout", n)
	}
	if addressLock > 0 {
		s.logger.Warn("sign-in locked for a client address", "client", a.client, "for", addressLock, "lockout", m)
	}
	switch {
	case accountLock > 0:
		return backend.SignInAccountLocked(accountLock)
	case addressLock > 0:
		return backend.SignInAddressLocked(addressLock)
	}
	return err
}

// loggableEmail is what the log may say about the e-mail of a sign-in. An
// e-mail address is not a secret, and the operator needs it to warn the
// landlord whose account is attacked. But the e-mail field sometimes holds
// a password typed in the wrong place: anything that is not plainly an
// e-mail address is never written.
func loggableEmail(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	at := strings.LastIndexByte(e, '@')
	if err != nil || a.Name != "" || a.Address != e || len(e) > 254 || at < 1 ||
		!strings.Contains(e[at:], ".") || strings.ContainsAny(e, " \"\\") {
		return "(not an e-mail address)"
	}
	return e
}

// beginRedeem applies the limit on invite and portal-link redemptions from
// the client's address.
func (s *Server) beginRedeem(c clientInfo) (ticket, error) {
	t, wait, why := s.limits.redeem.begin(s.now(), c.key(), false)
	if why != allowed {
		return t, backend.LinksTooFast(wait)
	}
	return t, nil
}

// endRedeem records how the redemption went: a link that did not work
// takes more of the address's allowance.
func (s *Server) endRedeem(t ticket, err error) { t.end(s.now(), outcomeOf(err)) }

// limitUploads wraps a handler that starts an upload (inside authed).
func (s *Server) limitUploads(h http.HandlerFunc) http.HandlerFunc {
	return s.limitCreate(s.limits.uploadsByPrincipal, s.limits.uploadsByAddress, backend.UploadsTooFast, h)
}

// limitInvites wraps the handler that makes portal links (inside authed).
func (s *Server) limitInvites(h http.HandlerFunc) http.HandlerFunc {
	return s.limitCreate(s.limits.invitesByPrincipal, s.limits.invitesByAddress, backend.InvitesTooFast, h)
}

// limitCreate refuses a creating call when the signed-in person, or the
// client's address, has made too many lately.
func (s *Server) limitCreate(byPrincipal, byAddress *keyedLimiter, refuse func(time.Duration) *backend.Error, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		p := principal(r.Context())
		who, wait, why := byPrincipal.begin(now, fmt.Sprintf("%s:%d:%d", p.Kind, p.OrgID, p.ID), false)
		if why != allowed {
			s.writeError(w, r, refuse(wait))
			return
		}
		where, wait, why := byAddress.begin(now, s.client(r).key(), false)
		if why != allowed {
			who.cancel(now)
			s.writeError(w, r, refuse(wait))
			return
		}
		who.end(now, neutral)
		where.end(now, neutral)
		h(w, r)
	}
}

// limitEvents wraps the event stream's handler (inside authed): one
// session may not open it again and again, each time replaying events.
func (s *Server) limitEvents(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		t, wait, why := s.limits.events.begin(now, digest(requestToken(r)), false)
		if why != allowed {
			s.writeError(w, r, backend.EventsTooFast(wait))
			return
		}
		t.end(now, neutral)
		h(w, r)
	}
}
