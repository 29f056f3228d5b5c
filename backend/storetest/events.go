package storetest

import (
	"errors"
	"fmt"
	"testing"

	"doorstep/backend"
)

// eventTypes lists events as "type" or "type:text" for messages.
func eventTypes(events []backend.Event) string {
	var out []string
	for _, ev := range events {
		s := ev.Type
		if ev.Message != nil {
			s += ":" + ev.Message.Text
		}
		out = append(out, s)
	}
	return fmt.Sprint(out)
}

// testEventLog: each recipient has a log of what they are told, in order:
// the landlord everything of their conversations, a tenant what happens in
// theirs while their lease is Active (of read positions only their own),
// nobody anything of another landlord.
func testEventLog(t *testing.T, w *world) {
	alice, bob, erin, zed := w.tenant("Alice"), w.tenant("Bob"), w.tenant("Erin"), w.tenant("Zed")
	g := w.group("1A")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	w.send(w.landlord, g.ID, "hello group")
	w.send(alice, g.ID, "hi")
	w.send(w.landlord, direct.ID, "hello Erin")
	if err := w.s.MarkRead(w.ctx, bob, g.ID, 2); err != nil {
		t.Fatal(err)
	}
	events := func(p backend.Principal) []backend.Event {
		t.Helper()
		return must[[]backend.Event](t)(w.s.Events(w.ctx, p, 0, 100))
	}
	for _, c := range []struct {
		who  string
		p    backend.Principal
		want string
	}{
		{"landlord", w.landlord, "[conversation conversation message:hello group message:hi message:hello Erin read]"},
		// Bob's read position is told to the landlord and Bob, not to Alice.
		{"Alice", alice, "[conversation message:hello group message:hi]"},
		{"Bob", bob, "[conversation message:hello group message:hi read]"},
		{"Erin", erin, "[conversation message:hello Erin]"},
		{"Zed", zed, "[]"},
		{"another landlord", w.other, "[]"},
	} {
		got := events(c.p)
		if eventTypes(got) != c.want {
			t.Errorf("%s's events: %s, want %s", c.who, eventTypes(got), c.want)
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID <= got[i-1].ID {
				t.Errorf("%s's event ids go %d then %d", c.who, got[i-1].ID, got[i].ID)
			}
		}
		latest := must[int64](t)(w.s.LatestEventID(w.ctx, c.p))
		if len(got) > 0 && latest != got[len(got)-1].ID || len(got) == 0 && latest != 0 {
			t.Errorf("%s's latest event id is %d, events %+v", c.who, latest, got)
		}
	}

	w.run(t, "EventsCarryTheRecipientsView", func(t *testing.T) {
		if ev := events(erin)[0]; ev.Conversation == nil || ev.Conversation.Title != "Maple Street Rentals" {
			t.Errorf("Erin's conversation event = %+v", ev.Conversation)
		}
		if ev := events(w.landlord)[1]; ev.Conversation == nil || ev.Conversation.Title != "Erin" {
			t.Errorf("the landlord's conversation event = %+v", ev.Conversation)
		}
		read := events(bob)[3].Read
		if read == nil || read.ConversationID != g.ID || read.Seq != 2 || read.Reader != (backend.Sender{Kind: backend.KindTenant, ID: bob.ID, Name: "Bob"}) {
			t.Errorf("read event = %+v", read)
		}
		if ev := events(w.landlord)[2]; ev.CreatedAt.IsZero() || ev.Message.ConversationID != g.ID {
			t.Errorf("message event = %+v", ev)
		}
	})

	w.run(t, "Limit", func(t *testing.T) {
		if got := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, 0, 2)); len(got) != 2 {
			t.Errorf("limit 2 gave %d events", len(got))
		}
	})

	w.run(t, "ErrMainUserOnly", func(t *testing.T) {
		_, err := w.s.Events(w.ctx, w.subUser, 0, 100)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.LatestEventID(w.ctx, w.subUser)
		wantCode(t, err, backend.EMAINUSERONLY)
	})
}

// testEventsSinceAndResync: `since` gives exactly the events after it; once
// old events are pruned, asking for them is answered with ErrResync.
func testEventsSinceAndResync(t *testing.T, w *world) {
	erin := w.tenant("Erin")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	for i := range 5 {
		w.send(w.landlord, direct.ID, fmt.Sprint(i))
	}
	all := must[[]backend.Event](t)(w.s.Events(w.ctx, erin, 0, 100))
	if len(all) != 6 {
		t.Fatalf("Erin has %d events, want 6", len(all))
	}
	since := must[[]backend.Event](t)(w.s.Events(w.ctx, erin, all[2].ID, 100))
	if eventTypes(since) != "[message:2 message:3 message:4]" {
		t.Errorf("since the third: %s", eventTypes(since))
	}
	latest := all[len(all)-1].ID
	if none := must[[]backend.Event](t)(w.s.Events(w.ctx, erin, latest, 100)); len(none) != 0 {
		t.Errorf("since the latest: %s", eventTypes(none))
	}
	// An id beyond any the log gave was seen in a history the log does not
	// have (the server was restored from a backup): the client must reload.
	if _, err := w.s.Events(w.ctx, erin, latest+1000, 100); !errors.Is(err, backend.ErrResync) {
		t.Errorf("since an id the log never gave: err = %v, want ErrResync", err)
	}

	w.advance(1)
	n := must[int64](t)(w.s.PruneEvents(w.ctx, w.clock()))
	if n < int64(len(all)) {
		t.Errorf("pruned %d events, want at least %d", n, len(all))
	}
	for _, since := range []int64{0, all[2].ID} {
		if _, err := w.s.Events(w.ctx, erin, since, 100); !errors.Is(err, backend.ErrResync) {
			t.Errorf("since %d after pruning: err = %v, want ErrResync", since, err)
		}
	}
	// A recipient with no event left starts from an id that needs no
	// resync: told to resync, a client carries on from LatestEventID, and
	// must not be told again at its next connection.
	start := must[int64](t)(w.s.LatestEventID(w.ctx, erin))
	if _, err := w.s.Events(w.ctx, erin, start, 100); err != nil {
		t.Errorf("since LatestEventID (%d) once everything was pruned: %v, want no resync", start, err)
	}
	// From the newest id pruned on, the log goes on without a resync.
	newest := max(latest, must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord)))
	if none, err := w.s.Events(w.ctx, erin, newest, 100); err != nil || len(none) != 0 {
		t.Errorf("since the newest id after pruning: %s, %v", eventTypes(none), err)
	}
	m := w.send(w.landlord, direct.ID, "after pruning")
	next := must[[]backend.Event](t)(w.s.Events(w.ctx, erin, newest, 100))
	if len(next) != 1 || next[0].ID <= newest || next[0].Message.ID != m.ID {
		t.Errorf("after pruning: %+v, want the new message with an id above %d", next, newest)
	}
}

// testCommitHooks: the live parts hear of what was stored, once it is
// durable, and never of a write that failed.
func testCommitHooks(t *testing.T, w *world) {
	deliveries := make(chan []backend.Delivery, 100)
	w.s.SetEventSink(func(d []backend.Delivery) { deliveries <- d })
	woken := make(chan struct{}, 100)
	w.s.SetNotificationsQueued(func() { woken <- struct{}{} })
	alice := w.tenant("Alice")

	// collect receives deliveries until it has n of them.
	collect := func(n int, what string) []backend.Delivery {
		t.Helper()
		var got []backend.Delivery
		for len(got) < n {
			got = append(got, receive(t, deliveries, what)...)
		}
		return got
	}

	g := w.group("1A")
	receive(t, woken, "the notification sender's wake-up")
	for _, d := range collect(3, "the conversation events") {
		if d.Event.Type != backend.EventConversation || d.Event.ID == 0 {
			t.Errorf("start delivered %+v, want a conversation event for the landlord, Alice and Bob", d)
		}
	}

	m := w.send(w.landlord, g.ID, "hello")
	got := collect(3, "the message events")
	to := map[backend.Recipient]int64{}
	for _, d := range got {
		if d.Event.Message == nil || d.Event.Message.ID != m.ID {
			t.Errorf("delivery %+v is not the message sent", d)
		}
		to[d.To] = d.Event.ID
	}
	want := []backend.Recipient{w.landlord.Recipient(), alice.Recipient(), {Kind: backend.KindTenant, ID: w.tenants["Bob"]}}
	if len(to) != len(want) {
		t.Errorf("delivered to %v, want %v", to, want)
	}
	for _, r := range want {
		stored := must[int64](t)(w.s.LatestEventID(w.ctx, backend.Principal{Kind: r.Kind, ID: r.ID, OrgID: w.orgA, IsMain: true}))
		if to[r] != stored {
			t.Errorf("%v: delivered event %d, stored %d", r, to[r], stored)
		}
	}

	// A refused write is not told; the next one is.
	if _, err := w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: m.Key, Text: "changed"}); err == nil {
		t.Fatal("a conflicting resend was stored")
	}
	next := w.send(alice, g.ID, "after the refusal")
	if got := collect(1, "the next message event"); got[0].Event.Message == nil || got[0].Event.Message.ID != next.ID {
		t.Errorf("delivered %+v after a refused write, want message %d", got[0].Event.Message, next.ID)
	}
}
