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

func TestHub(t *testing.T) {
	t.Parallel()
	t.Run("RoutesByRecipient", func(t *testing.T) {
		h := hub.New()
		a := h.Subscribe(landlord, "", 10)
		b := h.Subscribe(tenant, "", 10)
		h.Publish(deliver(landlord, 1))
		h.Publish(deliver(tenant, 2))
		if ev := <-a.C; ev.ID != 1 {
			t.Errorf("landlord got %d", ev.ID)
		}
		if ev := <-b.C; ev.ID != 2 {
			t.Errorf("tenant got %d", ev.ID)
		}
		if len(a.C) != 0 || len(b.C) != 0 {
			t.Error("an event reached the wrong recipient")
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
		if (<-a.C).ID != 7 || (<-b.C).ID != 7 {
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
		n := 0
		for range slow.C { // closed after what it had buffered
			n++
		}
		if n != 2 {
			t.Errorf("slow subscription drained %d events, want its 2 buffered", n)
		}
		for i := int64(1); i <= 50; i++ {
			if ev := <-fast.C; ev.ID != i {
				t.Fatalf("fast subscription got %d, want %d", ev.ID, i)
			}
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
		if _, open := <-s.C; open {
			t.Error("a closed subscription received an event")
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
		// What was buffered is still in the channel; the flag is what tells
		// the writer not to send it. Nothing published after the end arrives.
		var got []int64
		for ev := range laptop.C {
			got = append(got, ev.ID)
		}
		if len(got) != 1 || got[0] != 1 {
			t.Errorf("the ended subscription holds %v, want only the event buffered before the end", got)
		}
		if phone.Reason() != hub.Open || (<-phone.C).ID != 1 || (<-phone.C).ID != 2 {
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
		// What was buffered before is still read (it is older than what
		// the client will ask the log for), then the channel is closed.
		if ev, ok := <-a.C; !ok || ev.ID != 1 {
			t.Errorf("buffered event = %v, %v", ev.ID, ok)
		}
		if _, ok := <-a.C; ok {
			t.Error("the channel stayed open")
		}
		h.Publish(deliver(tenant, 2)) // reaches no one, and does not panic
		c := h.Subscribe(tenant, "", 10)
		h.Publish(deliver(tenant, 3))
		if ev := <-c.C; ev.ID != 3 {
			t.Errorf("a new subscription got %d", ev.ID)
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
					case <-s.C:
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
