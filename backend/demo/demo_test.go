package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/sqlite"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	today := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return today })

	creds, err := demo.Seed(ctx, db, today)
	if err != nil || !creds.Seeded {
		t.Fatalf("Seed = %+v, %v", creds, err)
	}
	sess, err := db.SignIn(ctx, creds.Email, creds.Password)
	if err != nil || !sess.Me.IsMain {
		t.Fatalf("demo landlord sign-in: %+v, %v", sess.Me, err)
	}
	if sub, err := db.SignIn(ctx, creds.SubUserEmail, creds.Password); err != nil || sub.Me.IsMain {
		t.Fatalf("demo sub-user: %+v, %v", sub.Me, err)
	}
	p := sess.Me.Principal
	dir, err := db.Directory(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[backend.LeaseStatus]int{}
	props := map[string]bool{}
	for _, tn := range dir.Tenants {
		for _, l := range tn.Leases {
			statuses[l.Status]++
			props[l.PropertyName] = true
		}
	}
	if len(props) < 3 || len(dir.Units) < 12 || len(dir.Tenants) < 25 {
		t.Errorf("%d properties, %d units, %d tenants; want at least 3, 12, 25", len(props), len(dir.Units), len(dir.Tenants))
	}
	for _, s := range []backend.LeaseStatus{backend.LeaseActive, backend.LeaseExpired, backend.LeaseFuture} {
		if statuses[s] == 0 {
			t.Errorf("no %s lease in the demo (%v)", s, statuses)
		}
	}
	groups := 0
	for _, u := range dir.Units {
		if len(u.ActiveTenants) >= 2 {
			groups++
		}
	}
	if groups == 0 {
		t.Error("no unit with co-tenants for a group chat")
	}
	convs, err := db.Conversations(ctx, p)
	if err != nil || len(convs) < 4 {
		t.Fatalf("conversations = %d, %v", len(convs), err)
	}
	for _, c := range convs {
		if c.LastMessage == nil {
			t.Errorf("conversation %q has no history", c.Title)
		}
	}
	checkPastTenantChat(t, db, dir, convs, p, today)

	again, err := demo.Seed(ctx, db, today)
	if err != nil || again.Seeded {
		t.Fatalf("second Seed = %+v, %v; want nothing added", again, err)
	}
	if dir2, _ := db.Directory(ctx, p, ""); len(dir2.Tenants) != len(dir.Tenants) {
		t.Error("seeding twice added tenants")
	}
}

// checkPastTenantChat checks the demo's chat with Henry Walker, whose lease
// has ended: it happened while his lease was Active, he may read it but not
// write in it, and seeding left the database's clock as it found it.
func checkPastTenantChat(t *testing.T, db *sqlite.DB, dir backend.Directory, convs []backend.Conversation, landlord backend.Principal, today time.Time) {
	t.Helper()
	ctx := context.Background()
	if got := db.Clock()(); !got.Equal(today) {
		t.Errorf("after Seed the database's clock says %v; want %v", got, today)
	}
	var henry backend.DirectoryTenant
	for _, tn := range dir.Tenants {
		if tn.Name == "Henry Walker" {
			henry = tn
		}
	}
	if len(henry.Leases) != 1 || henry.Leases[0].Status != backend.LeaseExpired {
		t.Fatalf("Henry Walker's leases: %+v; want one Expired", henry.Leases)
	}
	lease := henry.Leases[0]
	var conv *backend.Conversation
	for i, c := range convs {
		if c.TenantID == henry.ID {
			conv = &convs[i]
		}
	}
	if conv == nil {
		t.Fatal("the demo has no conversation with Henry Walker")
	}
	loc, _ := time.LoadLocation(demo.TimeZone)
	during := func(at time.Time) bool {
		d := backend.Today(at, loc)
		return d >= lease.Start && d < lease.End
	}
	if !during(conv.CreatedAt) {
		t.Errorf("Henry Walker's chat started on %v, not during his lease %s to %s", conv.CreatedAt, lease.Start, lease.End)
	}
	msgs, err := db.Messages(ctx, landlord, conv.ID, backend.MessagePage{})
	if err != nil || len(msgs) < 3 {
		t.Fatalf("Henry Walker's chat: %d messages, %v", len(msgs), err)
	}
	for i, m := range msgs {
		if !during(m.CreatedAt) {
			t.Errorf("message %d is dated %v, not during Henry Walker's lease %s to %s", m.Seq, m.CreatedAt, lease.Start, lease.End)
		}
		if i > 0 && !m.CreatedAt.After(msgs[i-1].CreatedAt) {
			t.Errorf("message %d (%v) is not later than the one before (%v)", m.Seq, m.CreatedAt, msgs[i-1].CreatedAt)
		}
	}

	tenant := backend.Principal{Kind: backend.KindTenant, ID: henry.ID, OrgID: landlord.OrgID, Name: henry.Name}
	mine, err := db.Conversations(ctx, tenant)
	if err != nil || len(mine) != 1 || mine[0].ID != conv.ID {
		t.Fatalf("Henry Walker's conversations = %+v, %v; want his chat with the landlord", mine, err)
	}
	if !mine[0].ReadOnly || mine[0].ReadOnlyReason == "" {
		t.Errorf("Henry Walker's chat: ReadOnly %v, reason %q; want read-only with a reason", mine[0].ReadOnly, mine[0].ReadOnlyReason)
	}
	if seen, err := db.Messages(ctx, tenant, conv.ID, backend.MessagePage{}); err != nil || len(seen) != len(msgs) {
		t.Errorf("Henry Walker reads %d of %d messages, %v", len(seen), len(msgs), err)
	}
	_, err = db.SendMessage(ctx, tenant, conv.ID, backend.SendMessage{Key: "after-move-out", Text: "Hello?"})
	if backend.ErrorCode(err) != backend.ETENANTNOTACTIVE {
		t.Errorf("Henry Walker sent a message after his lease ended: err = %v; want %s", err, backend.ETENANTNOTACTIVE)
	}

	// A fresh write is stamped with the restored clock.
	other := convs[0].ID
	if other == conv.ID {
		other = convs[1].ID
	}
	sent, err := db.SendMessage(ctx, landlord, other, backend.SendMessage{Key: "after-seed", Text: "One more thing: the gutters get cleaned next week."})
	if err != nil {
		t.Fatal(err)
	}
	if !sent.CreatedAt.Equal(today) {
		t.Errorf("a message sent after Seed is dated %v; want %v", sent.CreatedAt, today)
	}
}
