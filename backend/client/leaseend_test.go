package client_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/client"
)

// TestLeaseEndStopsEventsOnAnOpenSocket: a tenant whose last Active lease
// ends stops receiving, on the socket they keep open, every kind of event
// (messages, read positions, conversation updates) from the day after the
// end date, while the group chat goes on for a tenant still Active. No
// reconnect is needed: recipients are computed when each event is made.
func TestLeaseEndStopsEventsOnAnOpenSocket(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.setDate("2026-12-20") // Alice and Bob's lease of 1A ends 2026-12-31
	w.landlord = w.signIn("landlord@a.test")
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) int64 {
		t.Helper()
		res, err := raw.Exec(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	// Bob renews for 2027; Frank moves in with him. Alice moves out.
	renewal := exec("INSERT INTO leases (unit_id, start_date, end_date) VALUES (?, '2027-01-01', '2027-12-31')", w.unit["1A"])
	exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", renewal, w.tenant["Bob"])
	var org int64
	raw.QueryRow("SELECT org_id FROM tenants WHERE id = ?", w.tenant["Bob"]).Scan(&org)
	frank := exec("INSERT INTO tenants (org_id, name, email, created_at) VALUES (?, 'Frank', 'frank@tenant.test', '2026-12-01T00:00:00Z')", org)
	exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", renewal, frank)

	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	alice, bob := w.asTenant("Alice"), w.asTenant("Bob")
	as, bs, ls := stream(t, alice, client.Live), stream(t, bob, client.Live), stream(t, w.landlord, client.Live)
	before := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "before the move-out"}))
	for name, s := range map[string]*client.EventStream{"Alice": as, "Bob": bs, "landlord": ls} {
		if ev := next(t, s); ev.Message == nil || ev.Message.ID != before.ID {
			t.Fatalf("%s got %+v before the lease ended", name, ev)
		}
	}

	w.setDate("2027-01-01") // the day after Alice's last lease ended
	m1 := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "happy new year"}))
	if err := bob.MarkRead(ctx, group.ID, m1.Seq); err != nil {
		t.Fatal(err)
	}
	m2 := must[backend.Message](t)(bob.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "thanks!"}))
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]})) // Frank joins
	for name, s := range map[string]*client.EventStream{"Bob": bs, "landlord": ls} {
		got := []string{}
		for range 4 {
			ev := next(t, s)
			switch {
			case ev.Type == backend.EventMessage && ev.Message.ID == m1.ID:
				got = append(got, "m1")
			case ev.Type == backend.EventRead && ev.Read.Seq == m1.Seq:
				got = append(got, "read")
			case ev.Type == backend.EventMessage && ev.Message.ID == m2.ID:
				got = append(got, "m2")
			case ev.Type == backend.EventConversation && ev.Conversation.ID == group.ID:
				got = append(got, "conversation")
			default:
				got = append(got, ev.Type)
			}
		}
		if strings.Join(got, " ") != "m1 read m2 conversation" {
			t.Errorf("%s got %v, want m1 read m2 conversation", name, got)
		}
	}
	// A marker handed to Alice's subscription now comes after anything the
	// server queued for her since the lease ended: it must come first.
	marker := backend.Event{ID: 1 << 40, Type: backend.EventMessage, CreatedAt: w.clock(), Message: &backend.Message{ID: 1 << 40, Text: "marker"}}
	w.srv.Hub().Publish([]backend.Delivery{{To: backend.Recipient{Kind: backend.KindTenant, ID: w.tenant["Alice"]}, Event: marker}})
	if ev := next(t, as); ev.ID != marker.ID {
		t.Errorf("after her lease ended Alice's open socket received %+v", ev)
	}
	if events, err := w.db.Events(ctx, must[backend.Me](t)(alice.Me(ctx)).Principal, 0, 100); err != nil {
		t.Fatal(err)
	} else if last := events[len(events)-1]; last.Message == nil || last.Message.ID != before.ID {
		t.Errorf("Alice's newest stored event is %+v, want the message from before her lease ended", last)
	}
}
