// Package hub fans durable events out to live subscribers (websocket
// connections) by recipient. It never blocks a publisher: a subscriber that
// cannot keep up is dropped, and its client resumes from the event log with
// `since`, so nothing is lost. Subscriptions are indexed by the session they
// were opened with too, so that the end of a session ends them.
package hub

import (
	"sync"
	"sync/atomic"

	"doorstep/backend"
)

// Hub routes events to the subscriptions of their recipients.
type Hub struct {
	mu        sync.Mutex
	subs      map[backend.Recipient]map[*Subscription]struct{}
	bySession map[string]map[*Subscription]struct{}
}

// New returns an empty hub.
func New() *Hub {
	return &Hub{
		subs:      map[backend.Recipient]map[*Subscription]struct{}{},
		bySession: map[string]map[*Subscription]struct{}{},
	}
}

// EndReason tells why a subscription stopped delivering.
type EndReason int32

// Why a subscription ended.
const (
	Open         EndReason = iota // still delivering
	Closed                        // its owner closed it
	Slow                          // its queue was full: the client must catch up from the log
	SessionEnded                  // the session it was opened with ended
)

// Subscription receives one recipient's events, in the order they were
// published, until it is closed, or until the hub drops it for being slow
// or ends its session (then Reason says why).
//
// Its queue holds nothing while the connection is idle: thousands of idle
// websockets each keep a Subscription, so it is a few words and a
// one-slot channel, and frames are queued only as they come (up to the
// limit given to Subscribe, past which the subscriber counts as slow).
type Subscription struct {
	hub     *Hub
	to      backend.Recipient
	session string
	limit   int
	// wake has a value when frames were queued, or the subscription
	// ended, since the owner last looked.
	wake chan struct{}
	// reason is set (under hub.mu) once nothing more will be queued, and
	// read without the lock: the writer checks it before every write, to
	// send nothing more once the session has ended, not even what was
	// already queued.
	reason atomic.Int32

	mu    sync.Mutex // guards queue
	queue []Frame
}

// Subscribe starts delivering to's events, with at most limit of them
// queued before the subscriber counts as slow, for a connection opened with
// the session of that id ("" for none: only Close and slowness end it).
func (h *Hub) Subscribe(to backend.Recipient, session string, limit int) *Subscription {
	s := &Subscription{hub: h, to: to, session: session, limit: max(limit, 1), wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	add(h.subs, to, s)
	if session != "" {
		add(h.bySession, session, s)
	}
	return s
}

func add[K comparable](m map[K]map[*Subscription]struct{}, k K, s *Subscription) {
	if m[k] == nil {
		m[k] = map[*Subscription]struct{}{}
	}
	m[k][s] = struct{}{}
}

func del[K comparable](m map[K]map[*Subscription]struct{}, k K, s *Subscription) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// Wake has a value when frames were queued or the subscription ended since
// the last Take: wait on it, then Take.
func (s *Subscription) Wake() <-chan struct{} { return s.wake }

// Take returns the frames queued since the last Take, oldest first (nil if
// none). Once Reason is no longer Open, one more Take returns the last of
// them: nothing is queued after that.
func (s *Subscription) Take() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil // a burst's array is not kept for an idle connection
	return q
}

// signal wakes the owner, without waiting.
func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Reason tells whether the subscription still delivers and, if not, why.
// Once it is SessionEnded nothing more may be written for it.
func (s *Subscription) Reason() EndReason { return EndReason(s.reason.Load()) }

// Slow reports whether the hub dropped the subscription because its buffer
// was full.
func (s *Subscription) Slow() bool { return s.Reason() == Slow }

// SessionEnded reports whether the session the subscription was opened with
// has ended.
func (s *Subscription) SessionEnded() bool { return s.Reason() == SessionEnded }

// Close stops delivery. Closing twice is harmless.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s, Closed)
}

// remove detaches s, recording why, and wakes its owner to hear it; h.mu
// must be held.
func (h *Hub) remove(s *Subscription, why EndReason) {
	if !s.reason.CompareAndSwap(int32(Open), int32(why)) {
		return
	}
	s.signal()
	del(h.subs, s.to, s)
	if s.session != "" {
		del(h.bySession, s.session, s)
	}
}

// Publish queues each delivery for its recipient's subscriptions without
// waiting: a subscription whose queue is full is dropped. Deliveries of one
// event to several recipients, side by side as the store publishes them,
// share one Frame encoding: the event is encoded once for all of them.
func (h *Hub) Publish(deliveries []backend.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var shared *encoding
	for i, d := range deliveries {
		if shared == nil || !sameButRecipient(d.Event, deliveries[i-1].Event) {
			shared = newEncoding(d.Event)
		}
		f := Frame{ID: d.Event.ID, Prev: d.Event.Prev, enc: shared}
		for s := range h.subs[d.To] {
			s.mu.Lock()
			full := len(s.queue) >= s.limit
			if !full {
				s.queue = append(s.queue, f)
			}
			s.mu.Unlock()
			if full {
				h.remove(s, Slow)
				continue
			}
			s.signal()
		}
	}
}

// Resync ends every subscription as Slow: each client catches up from the
// event log with since. It is for when events may have passed this hub by
// (a server node lost its link to the others for a while).
func (h *Hub) Resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			h.remove(s, Slow)
		}
	}
}

// EndSessions ends every subscription opened with one of these sessions:
// each is marked SessionEnded (its writer sends nothing more, not even what
// is queued) and its owner woken. Other sessions of the same person
// are not touched. It never blocks on a subscriber.
func (h *Hub) EndSessions(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		for s := range h.bySession[id] {
			h.remove(s, SessionEnded)
		}
	}
}

// Sessions lists the sessions that have a live subscription, to check now
// and then whether they still hold.
func (h *Hub) Sessions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.bySession))
	for id := range h.bySession {
		ids = append(ids, id)
	}
	return ids
}

// Subscribers counts live subscriptions (for tests and metrics).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

// Online reports whether a recipient has a live subscription (an open
// websocket) right now.
func (h *Hub) Online(to backend.Recipient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[to]) > 0
}

// OnlineOf lists the recipients of one kind with a live subscription now,
// by id (e.g. the tenants reading on this node, for the other nodes).
func (h *Hub) OnlineOf(kind backend.PrincipalKind) []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []int64
	for to, set := range h.subs {
		if to.Kind == kind && len(set) > 0 {
			ids = append(ids, to.ID)
		}
	}
	return ids
}
