package main

import (
	"context"
	"path/filepath"
	"testing"

	"doorstep/backend"
	"doorstep/backend/hub"
	"doorstep/backend/postgres"
	"doorstep/backend/sqlite"
	"doorstep/internal/pgtest"
)

// TestOnlineAnywhere: the new-message e-mail sweep, running on node A,
// counts a tenant reading on node B as online once B has reported it, and
// no longer once B reports the tenant gone; on one SQLite node it asks
// that node's own hub only.
func TestOnlineAnywhere(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.DB {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	hubA, hubB := hub.New(), hub.New()
	report := func(db *postgres.DB, h *hub.Hub) {
		t.Helper()
		if err := db.ReportOnline(ctx, h.OnlineOf(backend.KindTenant)); err != nil {
			t.Fatal(err)
		}
	}
	onlineFromA := func(tenant int64) bool {
		t.Helper()
		online, err := onlineAnywhere(ctx, dbA, hubA)
		if err != nil {
			t.Fatal(err)
		}
		return online(tenant)
	}

	onB := hubB.Subscribe(backend.Recipient{Kind: backend.KindTenant, ID: 7}, "", 1)
	onA := hubA.Subscribe(backend.Recipient{Kind: backend.KindTenant, ID: 8}, "", 1)
	defer onA.Close()
	landlordOnB := hubB.Subscribe(backend.Recipient{Kind: backend.KindUser, ID: 9}, "", 1)
	defer landlordOnB.Close()
	if onlineFromA(7) {
		t.Error("tenant 7 counts as online before B reported it")
	}
	report(dbA, hubA)
	report(dbB, hubB)
	if !onlineFromA(7) || !onlineFromA(8) {
		t.Errorf("from A: tenant 7 (on B) online = %v, tenant 8 (on A) online = %v; want both", onlineFromA(7), onlineFromA(8))
	}
	if onlineFromA(9) {
		t.Error("the landlord's user id 9, reading on B, made tenant 9 count as online")
	}
	onB.Close()
	report(dbB, hubB)
	if onlineFromA(7) {
		t.Error("tenant 7 still counts as online once B reported them gone")
	}

	// One node on SQLite: its own hub is all there is.
	lone, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer lone.Close()
	online, err := onlineAnywhere(ctx, lone, hubA)
	if err != nil {
		t.Fatal(err)
	}
	if !online(8) || online(7) {
		t.Errorf("on one SQLite node: tenant 8 (here) online = %v, tenant 7 (not here) online = %v", online(8), online(7))
	}
}
