package hub_test

import (
	"fmt"
	"sync"
	"testing"

	"doorstep/backend"
	"doorstep/backend/hub"
)

var (
	landlord = backend.Recipient{Kind: backend.KindUser, ID: 1}
	tenant   = backend.Recipient{Kind: backend.KindTenant, ID: 1} // same id, other kind
)

func deliver(to backend.Recipient, id int64) []backend.Delivery {
	return []backend.Delivery{{To: to, Event: backend.Event{ID: id, Type: backend.EventMessage}}}
}

// queued takes what is queued for s now: the ids, oldest first.
func queued(s *hub.Subscription) []int64 {
	var ids []int64
	for _, f := range s.Take() {
		ids = append(ids, f.ID)
	}
	return ids
}

// woken reports whether s's Wake has a value, and takes it.
func woken(s *hub.Subscription) bool {
	select {
	case <-s.Wake():
		return true
	default:
		return false
	}
}

func TestHub(t *testing.T) {
	t.Parallel()
	t.Run("RoutesByRecipient", func(t *testing.T) {
		h := hub.New()
		a := h.Subscribe(landlord, "", 10)
		b := h.Subscribe(tenant, "", 10)
		h.Publish(deliver(landlord, 1))
		h.Publish(deliver(tenant, 2))
		if got := fmt.Sprint(queued(a), queued(b)); got != "[1] [2]" {
			t.Errorf("landlord and tenant got %s, want [1] [2]", got)
		}
	})

	t.Run("OnlineOfListsOneKindWithALiveSubscription", func(t *testing.T) {
		h := hub.New()
		other := backend.Recipient{Kind: backend.KindTenant, ID: 2}
		a := h.Subscribe(landlord, "", 1)
		defer a.Close()
		b, b2 := h.Subscribe(tenant, "", 1), h.Subscribe(tenant, "", 1)
		c := h.Subscribe(other, "", 1)
		c.Close()
		if got := fmt.Sprint(h.OnlineOf(backend.KindTenant)); got != "[1]" {
			t.Errorf("tenants online: %s, want [1] (the landlord is another kind; tenant 2 closed)", got)
		}
		b.Close()
		if got := fmt.Sprint(h.OnlineOf(backend.KindTenant)); got != "[1]" {
			t.Errorf("tenants online with one of two websockets left: %s", got)
		}
		b2.Close()
		if got := h.OnlineOf(backend.KindTenant); len(got) != 0 {
			t.Errorf("tenants online once all closed: %v", got)
		}
	})

	t.Run("EverySubscriptionOfARecipientGetsIt", func(t *testing.T) {
		h := hub.New()
		a, b := h.Subscribe(landlord, "", 10), h.Subscribe(landlord, "", 10)
		h.Publish(deliver(landlord, 7))
		if fmt.Sprint(queued(a), queued(b)) != "[7] [7]" {
			t.Error("both of the landlord's connections should get the event")
		}
	})

	t.Run("SlowSubscriberIsDroppedOthersKeepReceiving", func(t *testing.T) {
		h := hub.New()
		slow := h.Subscribe(landlord, "", 2)
		fast := h.Subscribe(landlord, "", 100)
		for i := int64(1); i <= 50; i++ {
			h.Publish(deliver(landlord, i)) // never blocks
		}
		if !slow.Slow() {
			t.Fatal("the full subscription was not marked slow")
		}
		if !woken(slow) {
			t.Error("the slow subscription's owner was not woken to hear it")
		}
		if got := queued(slow); fmt.Sprint(got) != "[1 2]" {
			t.Errorf("slow subscription holds %v, want the 2 queued before it was full", got)
		}
		got := queued(fast)
		for i, id := range got {
			if id != int64(i+1) {
				t.Fatalf("fast subscription got %v, want 1 to 50 in order", got)
			}
		}
		if len(got) != 50 {
			t.Errorf("fast subscription got %d events, want 50", len(got))
		}
		if h.Subscribers() != 1 {
			t.Errorf("%d subscribers left, want 1", h.Subscribers())
		}
	})

	t.Run("CloseIsIdempotentAndStopsDelivery", func(t *testing.T) {
		h := hub.New()
		s := h.Subscribe(tenant, "", 10)
		s.Close()
		s.Close()
		h.Publish(deliver(tenant, 1))
		if got := queued(s); len(got) != 0 {
			t.Errorf("a closed subscription received %v", got)
		}
		if h.Subscribers() != 0 {
			t.Error("closed subscription still counted")
		}
	})

	t.Run("EndSessionsEndsOnlyThatSessionsSubscriptions", func(t *testing.T) {
		h := hub.New()
		laptop := h.Subscribe(landlord, "session-laptop", 10)
		laptop2 := h.Subscribe(landlord, "session-laptop", 10) // a second window of the same session
		phone := h.Subscribe(landlord, "session-phone", 10)
		h.Publish(deliver(landlord, 1)) // buffered, not yet written when the session ends
		h.EndSessions("session-laptop", "no-such-session")
		for name, s := range map[string]*hub.Subscription{"laptop": laptop, "laptop2": laptop2} {
			if !s.SessionEnded() || s.Slow() || s.Reason() != hub.SessionEnded {
				t.Errorf("%s: reason %v, want SessionEnded", name, s.Reason())
			}
		}
		h.Publish(deliver(landlord, 2))
		// What was queued is still there; the reason is what tells the
		// writer not to send it. Nothing published after the end arrives.
		if !woken(laptop) {
			t.Error("the ended subscription's owner was not woken to hear it")
		}
		if got := queued(laptop); fmt.Sprint(got) != "[1]" {
			t.Errorf("the ended subscription holds %v, want only the event queued before the end", got)
		}
		if phone.Reason() != hub.Open || fmt.Sprint(queued(phone)) != "[1 2]" {
			t.Error("another session of the same landlord was touched")
		}
		if ids := h.Sessions(); len(ids) != 1 || ids[0] != "session-phone" {
			t.Errorf("sessions with subscriptions: %v, want only session-phone", ids)
		}
		if h.Subscribers() != 1 {
			t.Errorf("%d subscribers, want 1", h.Subscribers())
		}
		laptop.Close() // after the end: harmless, the reason stays
		if !laptop.SessionEnded() {
			t.Error("closing an ended subscription changed its reason")
		}
	})

	t.Run("ClosedSubscriptionLeavesNoSession", func(t *testing.T) {
		h := hub.New()
		s := h.Subscribe(tenant, "session-1", 10)
		s.Close()
		if len(h.Sessions()) != 0 || s.Reason() != hub.Closed {
			t.Errorf("after Close: sessions %v, reason %v", h.Sessions(), s.Reason())
		}
		h.EndSessions("session-1") // nothing left to end: harmless
		if s.Reason() != hub.Closed {
			t.Errorf("reason changed to %v", s.Reason())
		}
	})

	t.Run("ResyncSendsEverySubscriberToTheLogAndKeepsWhatWasBuffered", func(t *testing.T) {
		h := hub.New()
		a := h.Subscribe(landlord, "s1", 10)
		b := h.Subscribe(tenant, "", 10)
		h.Publish(deliver(landlord, 1))
		h.Resync()
		if !a.Slow() || !b.Slow() || h.Subscribers() != 0 || len(h.Sessions()) != 0 {
			t.Fatalf("after Resync: slow %v %v, %d subscribers, sessions %v", a.Slow(), b.Slow(), h.Subscribers(), h.Sessions())
		}
		// What was queued before is still read (it is older than what
		// the client will ask the log for); nothing comes after it.
		if got := queued(a); fmt.Sprint(got) != "[1]" {
			t.Errorf("queued before the resync: %v, want [1]", got)
		}
		h.Publish(deliver(tenant, 2)) // reaches no one, and does not panic
		if got := queued(b); len(got) != 0 {
			t.Errorf("a resynced subscription received %v", got)
		}
		c := h.Subscribe(tenant, "", 10)
		h.Publish(deliver(tenant, 3))
		if got := queued(c); fmt.Sprint(got) != "[3]" {
			t.Errorf("a new subscription got %v", got)
		}
	})

	t.Run("WakeSaysSomethingIsQueued", func(t *testing.T) {
		h := hub.New()
		s := h.Subscribe(tenant, "", 10)
		defer s.Close()
		if woken(s) {
			t.Error("woken before anything was published")
		}
		h.Publish(deliver(tenant, 1))
		h.Publish(deliver(tenant, 2))
		if !woken(s) {
			t.Fatal("not woken by a publish")
		}
		if woken(s) {
			t.Error("two publishes left two wake-ups: one is enough to take both")
		}
		if got := fmt.Sprint(queued(s)); got != "[1 2]" {
			t.Errorf("took %s, want [1 2]", got)
		}
		if got := s.Take(); got != nil {
			t.Errorf("a second take got %v, want nothing", got)
		}
		h.Publish(deliver(landlord, 3))
		if woken(s) {
			t.Error("woken by another recipient's event")
		}
	})

	t.Run("ConcurrentUse", func(t *testing.T) {
		h := hub.New()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				s := h.Subscribe(backend.Recipient{Kind: backend.KindTenant, ID: int64(i % 3)}, fmt.Sprint("session-", i%4), 4)
				for range 10 {
					select {
					case <-s.Wake():
						s.Take()
					default:
					}
				}
				s.Close()
			}()
			go func() {
				defer wg.Done()
				for j := range 100 {
					h.Publish(deliver(backend.Recipient{Kind: backend.KindTenant, ID: int64(j % 3)}, int64(j)))
					if j%10 == 0 {
						h.EndSessions(fmt.Sprint("session-", j%4))
						h.Sessions()
					}
				}
			}()
		}
		wg.Wait()
	})
}
