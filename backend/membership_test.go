package backend_test

import (
	"fmt"
	"testing"
	"time"

	"doorstep/backend"
)

var (
	landlord = backend.Principal{Kind: backend.KindUser, ID: 10, OrgID: 1, IsMain: true}
	subUser  = backend.Principal{Kind: backend.KindUser, ID: 11, OrgID: 1}
)

func tenant(t backend.TenantRef) backend.Principal {
	return backend.Principal{Kind: backend.KindTenant, ID: t.ID, OrgID: 1, Name: t.Name}
}

// group1A is the group chat of Elm Court 1A on 2026-06-15: Alice's lease
// of 1A is Active; Bob's lease of 1A ended on 2026-03-31 and he lives in
// 2B now; Carol's lease of 1A is for September and October.
var group1A = backend.Chat{ID: 7, OrgID: 1, UnitID: unitIDs["1A"], Property: "Elm Court", Unit: "1A",
	Members: []backend.TenantRef{alice, bob, carol},
	Leases: []backend.Lease{
		lease("1A", "2026-09-01", "2026-10-31", carol),
		lease("2B", "2026-04-01", "", bob),
		lease("1A", "2025-01-01", "2026-12-31", alice),
		lease("1A", "2025-04-01", "2026-03-31", bob),
	}}

// directBob is the one-to-one chat with Bob, with the same leases.
var directBob = backend.Chat{ID: 8, OrgID: 1, TenantID: bob.ID, TenantName: "Bob", Members: []backend.TenantRef{bob}, Leases: group1A.Leases}

const today = "2026-06-15"

func TestTenantActiveInAChat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		chat   backend.Chat
		tenant backend.TenantRef
		want   bool
	}{
		{group1A, alice, true},
		{group1A, bob, false},   // his Active lease is of another unit
		{group1A, carol, false}, // hers has not started
		{directBob, bob, true},  // any Active lease counts in a one-to-one chat
	} {
		if got := c.chat.TenantActive(c.tenant.ID, today); got != c.want {
			t.Errorf("chat %d, %s: active %v, want %v", c.chat.ID, c.tenant.Name, got, c.want)
		}
	}
	if got := fmt.Sprint(group1A.ActiveMembers(today)); got != "[1]" {
		t.Errorf("active members of 1A = %s, want [1] (Alice)", got)
	}
	if got := group1A.ActiveMembers("2026-10-01"); fmt.Sprint(got) != "[1 3]" {
		t.Errorf("active members of 1A in October = %v, want Alice and Carol by id", got)
	}
}

func TestReadOnlyAndMaySend(t *testing.T) {
	t.Parallel()
	const closedGroup = "No tenant of Elm Court · 1A is on an active lease any more. New messages would reach no one, so this conversation is read-only."
	for _, c := range []struct {
		name   string
		chat   backend.Chat
		p      backend.Principal
		date   string
		reason string // "" for writable
	}{
		{"ActiveTenant", group1A, tenant(alice), today, ""},
		{"TenantWhoseLeaseEnded", group1A, tenant(bob), today, backend.TenantReadOnlyReason},
		{"TenantWhoseLeaseIsToCome", group1A, tenant(carol), today, backend.TenantReadOnlyReason},
		{"LandlordWithAnActiveMember", group1A, landlord, today, ""},
		{"LandlordOfAGroupNobodyReads", group1A, landlord, "2027-01-02", closedGroup},
		{"LandlordOfAOneToOneChatNobodyReads", directBob, landlord, "2025-03-01",
			"Bob's lease starts on 2026-04-01; chat opens when it is active. New messages would reach no one, so this conversation is read-only."},
	} {
		t.Run(c.name, func(t *testing.T) {
			ro, reason := c.chat.ReadOnly(c.p, c.date)
			if ro != (c.reason != "") || reason != c.reason {
				t.Errorf("ReadOnly = %v %q, want %q", ro, reason, c.reason)
			}
			err := c.chat.MaySend(c.p, c.date)
			if c.reason == "" && err != nil || c.reason != "" && (backend.ErrorCode(err) != backend.ETENANTNOTACTIVE || backend.ErrorMessage(err) != c.reason) {
				t.Errorf("MaySend = %v, want the same sentence as ReadOnly", err)
			}
		})
	}
}

func TestMayOpen(t *testing.T) {
	t.Parallel()
	erin := backend.TenantRef{ID: 5, Name: "Erin"}
	for _, c := range []struct {
		p    backend.Principal
		code string
	}{
		{landlord, ""},
		{tenant(alice), ""},
		{tenant(bob), ""}, // a member whose lease ended still opens it
		{tenant(erin), backend.ENOTAMEMBER},
		{subUser, backend.EMAINUSERONLY},
	} {
		if got := backend.ErrorCode(group1A.MayOpen(c.p)); got != c.code {
			t.Errorf("%+v: %q, want %q", c.p, got, c.code)
		}
	}
}

func TestVisibleUntil(t *testing.T) {
	t.Parallel()
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	nextDay := func(date string) time.Time {
		d, _ := time.ParseInLocation(backend.DateLayout, date, chicago)
		return d.AddDate(0, 0, 1)
	}
	for _, c := range []struct {
		name string
		chat backend.Chat
		p    backend.Principal
		date string
		want time.Time
	}{
		{"TheLandlordSeesEverything", group1A, landlord, today, time.Time{}},
		{"AnActiveTenantSeesEverything", group1A, tenant(alice), today, time.Time{}},
		{"ToTheEndOfTheLastDayOfTheLease", group1A, tenant(bob), today, nextDay("2026-03-31")},
		{"TheLatestLeaseThatEnded", group1A, tenant(alice), "2027-06-01", nextDay("2026-12-31")},
		{"NothingBeforeTheFirstLease", group1A, tenant(carol), today, time.Unix(0, 0).UTC()},
		{"OneToOneCountsEveryLease", directBob, tenant(bob), "2026-03-01", time.Time{}},
		{"OneToOneBeforeAnyLease", directBob, tenant(bob), "2025-03-01", time.Unix(0, 0).UTC()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.chat.VisibleUntil(c.p, c.date, chicago)
			if err != nil || !got.Equal(c.want) {
				t.Errorf("= %v, %v; want %v", got, err, c.want)
			}
		})
	}
	cutoff := nextDay("2026-03-31")
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{cutoff.Add(-time.Nanosecond), true},
		{cutoff, false},
	} {
		if got := backend.Visible(c.at, cutoff); got != c.want {
			t.Errorf("Visible(%v) = %v", c.at, got)
		}
	}
	if !backend.Visible(time.Now(), time.Time{}) {
		t.Error("no cutoff hides something")
	}
}

func TestView(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		chat backend.Chat
		p    backend.Principal
		want string // kind, title, place, read-only
	}{
		{"GroupForTheLandlord", group1A, landlord, "group Elm Court · 1A  false"},
		{"GroupForATenant", group1A, tenant(alice), "group Elm Court · 1A  false"},
		{"OneToOneForTheLandlord", directBob, landlord, "direct Bob Elm Court · 2B false"},
		{"OneToOneForItsTenant", directBob, tenant(bob), "direct Maple Street Rentals Elm Court · 2B false"},
		{"GroupForATenantWhoLeft", group1A, tenant(bob), "group Elm Court · 1A  true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := c.chat.View(c.p, "Maple Street Rentals", today, 4, 2)
			if got := fmt.Sprint(v.Kind, " ", v.Title, " ", v.Place, " ", v.ReadOnly); got != c.want {
				t.Errorf("view = %q, want %q", got, c.want)
			}
			if v.ID != c.chat.ID || v.ReadSeq != 4 || v.Unread != 2 || len(v.Members) != len(c.chat.Members) {
				t.Errorf("view = %+v", v)
			}
		})
	}
	if v := (backend.Chat{ID: 9, UnitID: 1}).View(landlord, "Org", today, 0, 0); v.Members == nil {
		t.Error("a chat without members is viewed with nil members, want a list")
	}
}

func TestNextReadSeq(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		current, asked, last int64
		next                 int64
		moved                bool
	}{
		{0, 3, 5, 3, true},
		{3, 5, 5, 5, true},
		{3, 100, 5, 5, true}, // never past the last message
		{5, 100, 5, 5, false},
		{4, 2, 5, 2, false}, // never back
		{4, 4, 5, 4, false},
	} {
		next, moved := backend.NextReadSeq(c.current, c.asked, c.last)
		if moved != c.moved || moved && next != c.next {
			t.Errorf("NextReadSeq(%d, %d, %d) = %d %v, want %d %v", c.current, c.asked, c.last, next, moved, c.next, c.moved)
		}
	}
	if err := backend.ValidateReadSeq(-1); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("a negative seq: %v", err)
	}
	if err := backend.ValidateReadSeq(0); err != nil {
		t.Errorf("seq 0: %v", err)
	}
}

func TestSortByActivity(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return time.Date(2026, 6, 15, h, 0, 0, 0, time.UTC) }
	list := []backend.Conversation{
		{ID: 1, CreatedAt: at(1)},
		{ID: 2, CreatedAt: at(2), LastMessage: &backend.Message{CreatedAt: at(9)}},
		{ID: 3, CreatedAt: at(5)},
		{ID: 4, CreatedAt: at(5)}, // a tie keeps its order
		{ID: 5, CreatedAt: at(0), LastMessage: &backend.Message{CreatedAt: at(7)}},
	}
	backend.SortByActivity(list)
	var ids []int64
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if fmt.Sprint(ids) != "[2 5 3 4 1]" {
		t.Errorf("order = %v, want [2 5 3 4 1]", ids)
	}
}

func TestUnreadSeq(t *testing.T) {
	for _, c := range []struct {
		current, lastFromOthers, want int64
		moved                         bool
	}{
		{current: 5, lastFromOthers: 4, want: 3, moved: true},
		{current: 4, lastFromOthers: 4, want: 3, moved: true},
		{current: 3, lastFromOthers: 4, want: 3, moved: false}, // already unread
		{current: 0, lastFromOthers: 1, want: 0, moved: false},
	} {
		next, moved, err := backend.UnreadSeq(c.current, c.lastFromOthers)
		if err != nil || next != c.want || moved != c.moved {
			t.Errorf("UnreadSeq(%d, %d) = %d, %v, %v; want %d, %v", c.current, c.lastFromOthers, next, moved, err, c.want, c.moved)
		}
	}
	if _, _, err := backend.UnreadSeq(3, 0); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("with nothing from others: %v", err)
	}
}
