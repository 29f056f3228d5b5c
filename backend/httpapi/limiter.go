package httpapi

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"doorstep/backend"
)

// A keyedLimiter keeps, per key (a client address, an account, a session),
// a token bucket and a count of recent failures that locks the key for a
// while. It lives in memory, per server process: limits are per node.
//
// Memory stays bounded: a key is dropped once it holds nothing worth
// remembering (bucket full again, no lock, failures and lock-outs
// forgotten), and there are never more than maxKeys keys; past that the
// least recently used key gives way, one that was never locked first. A
// flood of distinct addresses or e-mails therefore costs a fixed amount of
// memory, and it cannot push out a locked key unless every other key is
// one with lock-outs too.
type keyedLimiter struct {
	policy  limitPolicy
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *keyState, in cold or hot
	// cold holds keys without lock-outs, hot those with; each most
	// recently used at the front. Room is made in cold first.
	cold, hot list.List
	lastSweep time.Time
}

// limitPolicy is what one keyedLimiter enforces.
type limitPolicy struct {
	rate  rate.Limit // tokens a second; 0: no bucket
	burst int        // the bucket's size
	// failCost is how many tokens a failure takes on top of its attempt's
	// one, so guessing runs dry faster than honest use.
	failCost int
	// lockAfter failures within failWindow lock the key, for lockFirst the
	// first time, doubling with each further lock-out up to lockMax; 0 never
	// locks.
	lockAfter          int
	lockFirst, lockMax time.Duration
	// resetOnSuccess forgets failures and lock-outs when an attempt works:
	// right for an account (its owner got in), wrong for an address (one
	// good account there must not launder guesses at others).
	resetOnSuccess bool
}

// Memory of failures, and the bound on keys.
const (
	// failWindow is how long a failure counts towards a lock-out.
	failWindow = 15 * time.Minute
	// lockoutMemory is how long lock-outs in a row are remembered after the
	// last failure, so the next lock-out doubles; after a quiet day it
	// starts from the first length again.
	lockoutMemory = 24 * time.Hour
	// defaultMaxKeys bounds each limiter: a key costs a few hundred bytes,
	// so a limiter stays under about 20 MB whatever a flood sends.
	defaultMaxKeys = 50_000
	// sweepEvery is how often idle keys are dropped (during use).
	sweepEvery = time.Minute
)

// keyState is what is remembered about one key.
type keyState struct {
	key         string
	bucket      *rate.Limiter // nil: no rate limit
	inFlight    int           // attempts begun and not yet ended
	failures    int           // since firstFailure, within failWindow
	firstFail   time.Time
	lastFail    time.Time
	lockouts    int // lock-outs in a row
	lockedUntil time.Time
	hot         bool // filed in hot (it has lock-outs)
}

func newKeyedLimiter(p limitPolicy) *keyedLimiter {
	return &keyedLimiter{policy: p, maxKeys: defaultMaxKeys, keys: map[string]*list.Element{}}
}

// refusal says why begin refused.
type refusal int

const (
	allowed refusal = iota
	refusedLocked
	refusedRate
)

// ticket is one attempt that begin let through; end or cancel it.
type ticket struct {
	l   *keyedLimiter
	key string
	res *rate.Reservation // the attempt's token; nil without a bucket
}

// outcome is how an attempt went, for end.
type outcome int

const (
	neutral outcome = iota // neither counts for nor against the key
	succeeded
	failed
)

// begin lets an attempt for key through, or says why not and how long to
// wait. exempt skips the lock (not the bucket). Attempts still running
// count as failures-to-be, so a burst of parallel guesses cannot get more
// checks than a lock-out allows.
func (l *keyedLimiter) begin(now time.Time, key string, exempt bool) (ticket, time.Duration, refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	st := l.state(now, key)
	defer l.refile(st)
	p := l.policy
	if !exempt && p.lockAfter > 0 {
		if now.Before(st.lockedUntil) {
			return ticket{}, st.lockedUntil.Sub(now), refusedLocked
		}
		st.forgetOld(now)
		if st.failures+st.inFlight >= p.lockAfter {
			// The attempts still running will decide; they take well under
			// a second.
			return ticket{}, time.Second, refusedLocked
		}
	}
	t := ticket{l: l, key: key}
	if st.bucket != nil {
		t.res = st.bucket.ReserveN(now, 1)
		if wait := t.res.DelayFrom(now); !t.res.OK() || wait > 0 {
			t.res.CancelAt(now)
			return ticket{}, max(wait, time.Second), refusedRate
		}
	}
	st.inFlight++
	return t, 0, allowed
}

// cancel undoes begin, giving the token back: the request went no further
// (another limit refused it).
func (t ticket) cancel(now time.Time) {
	if t.l == nil {
		return
	}
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	if t.res != nil {
		t.res.CancelAt(now)
	}
	if e, ok := t.l.keys[t.key]; ok {
		st := e.Value.(*keyState)
		st.inFlight = max(st.inFlight-1, 0)
	}
}

// end records how the attempt went. It returns how long the key is now
// locked when this failure locked it, and the number of that lock-out in a
// row; 0 otherwise.
func (t ticket) end(now time.Time, o outcome) (time.Duration, int) {
	l := t.l
	if l == nil {
		return 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The key may have been dropped meanwhile (only under a flood): then
	// the outcome starts it afresh.
	st := l.state(now, t.key)
	defer l.refile(st)
	st.inFlight = max(st.inFlight-1, 0)
	p := l.policy
	switch o {
	case succeeded:
		if p.resetOnSuccess {
			st.failures = 0
			// A success from an exempt address leaves a running lock-out
			// (and its place in the doubling) to the others it holds off.
			if !now.Before(st.lockedUntil) {
				st.lockouts = 0
			}
		}
	case failed:
		if st.bucket != nil && p.failCost > 0 {
			// Taken even into debt: the next attempts wait for it.
			st.bucket.ReserveN(now, min(p.failCost, p.burst))
		}
		if p.lockAfter <= 0 {
			return 0, 0
		}
		st.forgetOld(now)
		if st.failures == 0 {
			st.firstFail = now
		}
		st.failures++
		st.lastFail = now
		if st.failures >= p.lockAfter {
			st.lockouts++
			st.failures = 0
			d := backend.LockoutDuration(st.lockouts, p.lockFirst, p.lockMax)
			st.lockedUntil = now.Add(d)
			return d, st.lockouts
		}
	}
	return 0, 0
}

// forgetOld drops failures older than failWindow and, after a quiet
// lockoutMemory, the count of lock-outs in a row.
func (st *keyState) forgetOld(now time.Time) {
	if st.failures > 0 && now.Sub(st.firstFail) >= failWindow {
		st.failures = 0
	}
	if st.lockouts > 0 && now.Sub(st.lastFail) >= lockoutMemory && !now.Before(st.lockedUntil) {
		st.lockouts = 0
	}
}

// idle reports whether forgetting st changes nothing.
func (st *keyState) idle(now time.Time, burst int) bool {
	st.forgetOld(now)
	return st.inFlight == 0 && st.failures == 0 && st.lockouts == 0 && !now.Before(st.lockedUntil) &&
		(st.bucket == nil || st.bucket.TokensAt(now) >= float64(burst))
}

// state returns key's state, making it if needed, as the most recently
// used. l.mu is held.
func (l *keyedLimiter) state(now time.Time, key string) *keyState {
	if e, ok := l.keys[key]; ok {
		st := e.Value.(*keyState)
		l.list(st.hot).MoveToFront(e)
		return st
	}
	if len(l.keys) >= l.maxKeys {
		l.evict()
	}
	st := &keyState{key: key}
	if l.policy.rate > 0 {
		st.bucket = rate.NewLimiter(l.policy.rate, l.policy.burst) // full
	}
	l.keys[key] = l.cold.PushFront(st)
	return st
}

func (l *keyedLimiter) list(hot bool) *list.List {
	if hot {
		return &l.hot
	}
	return &l.cold
}

// refile moves st to hot once it has lock-outs, and back to cold once they
// are forgotten. l.mu is held.
func (l *keyedLimiter) refile(st *keyState) {
	e, ok := l.keys[st.key]
	if hot := st.lockouts > 0; ok && hot != st.hot {
		l.list(st.hot).Remove(e)
		st.hot = hot
		l.keys[st.key] = l.list(hot).PushFront(st)
	}
}

// evict drops one key to make room: the least recently used one without
// lock-outs, or, when every key has some, the least recently used one.
// l.mu is held.
func (l *keyedLimiter) evict() {
	from := &l.cold
	if from.Len() == 0 {
		from = &l.hot
	}
	if e := from.Back(); e != nil {
		delete(l.keys, e.Value.(*keyState).key)
		from.Remove(e)
	}
}

// sweep drops idle keys, at most once every sweepEvery. l.mu is held.
func (l *keyedLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	for _, from := range []*list.List{&l.cold, &l.hot} {
		for e := from.Front(); e != nil; {
			next := e.Next()
			st := e.Value.(*keyState)
			if st.idle(now, l.policy.burst) {
				delete(l.keys, st.key)
				from.Remove(e)
			} else if st.hot && st.lockouts == 0 {
				l.refile(st) // its lock-outs are forgotten
			}
			e = next
		}
	}
}

// size is how many keys are remembered.
func (l *keyedLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// recentSet remembers keys for a while (the addresses an account signed in
// from), bounded like keyedLimiter: the least recently added gives way.
type recentSet struct {
	ttl     time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of recentKey
	lru  list.List
}

type recentKey struct {
	key     string
	expires time.Time
}

func newRecentSet(ttl time.Duration) *recentSet {
	return &recentSet{ttl: ttl, maxKeys: defaultMaxKeys, keys: map[string]*list.Element{}}
}

// add remembers key until now+ttl.
func (s *recentSet) add(now time.Time, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[key]; ok {
		e.Value = recentKey{key, now.Add(s.ttl)}
		s.lru.MoveToFront(e)
		return
	}
	// Expired keys are at the back: each was added before every key in
	// front of it, with the same ttl.
	for e := s.lru.Back(); e != nil && (len(s.keys) >= s.maxKeys || !now.Before(e.Value.(recentKey).expires)); e = s.lru.Back() {
		delete(s.keys, e.Value.(recentKey).key)
		s.lru.Remove(e)
	}
	s.keys[key] = s.lru.PushFront(recentKey{key, now.Add(s.ttl)})
}

// has reports whether key was added within ttl.
func (s *recentSet) has(now time.Time, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	return ok && now.Before(e.Value.(recentKey).expires)
}
