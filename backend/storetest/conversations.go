package storetest

import (
	"fmt"
	"testing"

	"doorstep/backend"
)

// testStartConversation: only the main landlord user starts chats, only
// with tenants on an Active lease, and starting one that exists opens it.
func testStartConversation(t *testing.T, w *world) {
	w.run(t, "ErrTenantCannotInitiate", func(t *testing.T) {
		alice := w.tenant("Alice")
		for _, req := range []backend.StartConversation{{TenantID: w.tenants["Erin"]}, {UnitID: w.units["1A"]}, {}} {
			_, _, err := w.s.StartConversation(w.ctx, alice, req)
			wantRefusal(t, err, backend.ETENANTCANNOTINITIATE,
				"Tenants can answer chats but not start them; your landlord starts the conversation.")
		}
		if list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.landlord)); len(list) != 0 {
			t.Errorf("a refused start left %d conversations", len(list))
		}
	})

	w.run(t, "ErrMainUserOnly", func(t *testing.T) {
		_, _, err := w.s.StartConversation(w.ctx, w.subUser, backend.StartConversation{TenantID: w.tenants["Erin"]})
		wantRefusal(t, err, backend.EMAINUSERONLY, "Chat is available to the main account only.")
	})

	w.run(t, "ErrInvalidInput", func(t *testing.T) {
		for _, req := range []backend.StartConversation{{}, {TenantID: 1, UnitID: 1}, {TenantID: -4}} {
			_, _, err := w.s.StartConversation(w.ctx, w.landlord, req)
			wantCode(t, err, backend.EINVALID)
		}
	})

	w.run(t, "ErrTenantNotActive", func(t *testing.T) {
		for _, c := range []struct {
			req  backend.StartConversation
			want string
		}{
			{backend.StartConversation{TenantID: w.tenants["Carol"]}, "Carol's lease ended on 2026-03-31."},
			{backend.StartConversation{TenantID: w.tenants["Dan"]}, "Dan's lease starts on 2026-09-01; chat opens when it is active."},
			{backend.StartConversation{UnitID: w.units["1B"]}, "No tenant of Elm Court 1B is on an active lease."},
		} {
			_, _, err := w.s.StartConversation(w.ctx, w.landlord, c.req)
			wantRefusal(t, err, backend.ETENANTNOTACTIVE, c.want)
		}
	})

	w.run(t, "ErrNotFound", func(t *testing.T) {
		_, _, err := w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{TenantID: 999_999})
		wantRefusal(t, err, backend.ENOTFOUND, "There is no such tenant.")
		_, _, err = w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{UnitID: 999_999})
		wantRefusal(t, err, backend.ENOTFOUND, "There is no such unit.")
		_, _, err = w.s.StartConversation(w.ctx, w.other, backend.StartConversation{TenantID: w.tenants["Erin"]})
		wantCode(t, err, backend.ENOTFOUND)
		_, _, err = w.s.StartConversation(w.ctx, w.other, backend.StartConversation{UnitID: w.units["1A"]})
		wantCode(t, err, backend.ENOTFOUND)
	})

	w.run(t, "OneToOneIsReopenedNotDoubled", func(t *testing.T) {
		first, created, err := w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{TenantID: w.tenants["Erin"]})
		if err != nil || !created {
			t.Fatalf("start = %+v, created %v, %v", first, created, err)
		}
		if first.Kind != backend.ConversationDirect || first.Title != "Erin" || first.Place != "Elm Court · 2B" ||
			first.TenantID != w.tenants["Erin"] || fmt.Sprint(first.Members) != fmt.Sprintf("[{%d Erin}]", w.tenants["Erin"]) ||
			first.ReadOnly || first.LastSeq != 0 || first.LastMessage != nil {
			t.Errorf("one-to-one = %+v", first)
		}
		again, created, err := w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{TenantID: w.tenants["Erin"]})
		if err != nil || created || again.ID != first.ID {
			t.Errorf("again = %+v, created %v, %v; want conversation %d", again, created, err, first.ID)
		}
		// The tenant sees the landlord's organisation as the title.
		erin := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.tenant("Erin"), first.ID))
		if erin.Title != "Maple Street Rentals" || erin.Place != "Elm Court · 2B" {
			t.Errorf("Erin's view = %+v", erin)
		}
	})

	w.run(t, "UnitGivesGroupOfActiveTenants", func(t *testing.T) {
		g := w.group("1A")
		if g.Kind != backend.ConversationGroup || g.Title != "Elm Court · 1A" || g.UnitID != w.units["1A"] || g.Place != "" ||
			fmt.Sprint(g.Members) != fmt.Sprintf("[{%d Alice} {%d Bob}]", w.tenants["Alice"], w.tenants["Bob"]) {
			t.Fatalf("group = %+v", g)
		}
		for _, name := range []string{"Alice", "Bob"} {
			list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.tenant(name)))
			if len(list) != 1 || list[0].ID != g.ID || list[0].Title != "Elm Court · 1A" {
				t.Errorf("%s sees %+v", name, list)
			}
		}
		if list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.tenant("Erin"))); len(list) != 1 || list[0].Kind != backend.ConversationDirect {
			t.Errorf("Erin sees %+v, want only her own chat", list)
		}
		if list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.landlord)); len(list) != 2 {
			t.Errorf("the landlord sees %d conversations, want 2", len(list))
		}
		if list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.other)); len(list) != 0 {
			t.Errorf("another landlord sees %+v", list)
		}
	})

	w.run(t, "ErrNotAMemberOrNotFound", func(t *testing.T) {
		g := w.group("1A")
		_, err := w.s.Conversation(w.ctx, w.tenant("Erin"), g.ID)
		wantRefusal(t, err, backend.ENOTAMEMBER, "You are not part of this conversation.")
		_, err = w.s.Conversation(w.ctx, w.other, g.ID)
		wantRefusal(t, err, backend.ENOTFOUND, "There is no such conversation.")
		_, err = w.s.Conversation(w.ctx, w.tenant("Zed"), g.ID)
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.s.Conversation(w.ctx, w.subUser, g.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.Conversations(w.ctx, w.subUser)
		wantCode(t, err, backend.EMAINUSERONLY)
	})
}

// testGroupGainsTenants: reopening a unit's group chat adds the tenants
// whose lease became Active since, and tells only them.
func testGroupGainsTenants(t *testing.T, w *world) {
	_, frank, err := w.s.AddLease(w.ctx, w.orgA, Lease{Property: "Elm Court", Unit: "1A", Start: "2026-07-01",
		Tenants: []Tenant{{Name: "Frank", Email: "frank@tenant.test", Phone: "555-0101"}}})
	if err != nil {
		t.Fatal(err)
	}
	g := w.group("1A")
	if len(g.Members) != 2 {
		t.Fatalf("members before Frank's lease: %+v", g.Members)
	}
	w.setDate("2026-07-02")
	again, created, err := w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{UnitID: w.units["1A"]})
	if err != nil || created || again.ID != g.ID || len(again.Members) != 3 || again.Members[2].ID != frank[0] {
		t.Fatalf("reopened = %+v, created %v, %v; want Frank added", again, created, err)
	}
	byTenant := map[string]int{}
	for _, n := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID)) {
		byTenant[n.Tenant.Name]++
	}
	if fmt.Sprint(byTenant) != "map[Alice:2 Bob:2 Frank:2]" {
		t.Errorf("notifications by tenant = %v; want two each, Frank's only when he joined", byTenant)
	}
}
