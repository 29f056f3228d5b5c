// Package hub fans durable events out to live subscribers (websocket
// connections) by recipient. It never blocks a publisher: a subscriber that
// cannot keep up is dropped, and its client resumes from the event log with
// `since`, so nothing is lost.
package hub

import (
	"sync"

	"doorstep/backend"
)

// Hub routes events to the subscriptions of their recipients.
type Hub struct {
	mu   sync.Mutex
	subs map[backend.Recipient]map[*Subscription]struct{}
}

// New returns an empty hub.
func New() *Hub {
	return &Hub{subs: map[backend.Recipient]map[*Subscription]struct{}{}}
}

// Subscription receives one recipient's events on C until it is closed, or
// until the hub drops it for being slow (then C is closed and Slow is true).
type Subscription struct {
	// C delivers events in the order they were published.
	C <-chan backend.Event

	c    chan backend.Event
	hub  *Hub
	to   backend.Recipient
	slow bool // guarded by hub.mu
	done bool // guarded by hub.mu
}

// Subscribe starts delivering to's events into a buffer of the given size.
func (h *Hub) Subscribe(to backend.Recipient, buffer int) *Subscription {
	c := make(chan backend.Event, buffer)
	s := &Subscription{C: c, c: c, hub: h, to: to}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[to] == nil {
		h.subs[to] = map[*Subscription]struct{}{}
	}
	h.subs[to][s] = struct{}{}
	return s
}

// Slow reports whether the hub dropped the subscription because its buffer
// was full.
func (s *Subscription) Slow() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.slow
}

// Close stops delivery and closes C. Closing twice is harmless.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// remove detaches s and closes its channel; h.mu must be held.
func (h *Hub) remove(s *Subscription) {
	if s.done {
		return
	}
	s.done = true
	close(s.c)
	if set := h.subs[s.to]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, s.to)
		}
	}
}

// Publish hands each delivery to its recipient's subscriptions without
// waiting: a subscription whose buffer is full is dropped.
func (h *Hub) Publish(deliveries []backend.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range deliveries {
		for s := range h.subs[d.To] {
			select {
			case s.c <- d.Event:
			default:
				s.slow = true
				h.remove(s)
			}
		}
	}
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
