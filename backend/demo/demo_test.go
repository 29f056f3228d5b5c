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
	sqlite.BcryptCost = bcrypt.MinCost
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "doorstep.db"))
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
	if err != nil || len(convs) < 3 {
		t.Fatalf("conversations = %d, %v", len(convs), err)
	}
	for _, c := range convs {
		if c.LastMessage == nil {
			t.Errorf("conversation %q has no history", c.Title)
		}
	}

	again, err := demo.Seed(ctx, db, today)
	if err != nil || again.Seeded {
		t.Fatalf("second Seed = %+v, %v; want nothing added", again, err)
	}
	if dir2, _ := db.Directory(ctx, p, ""); len(dir2.Tenants) != len(dir.Tenants) {
		t.Error("seeding twice added tenants")
	}
}
