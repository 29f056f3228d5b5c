package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/sqlite"
)

// TestSeed: into an empty data directory, the demo and then the long
// conversation, its messages from both sides in one unbroken chain, as the
// landlord reads them; run again, it only adds the messages it lacks.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"-data", dir, "-messages", "300"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "300 messages with Chloe Martin") {
		t.Errorf("said: %s", out.String())
	}
	for _, n := range []string{"320", "300"} {
		if err := run(ctx, []string{"-data", dir, "-messages", n}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}

	db, err := sqlite.Open(ctx, filepath.Join(dir, "doorstep.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sess, err := db.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.Conversations(ctx, sess.Me.Principal)
	if err != nil {
		t.Fatal(err)
	}
	var big backend.Conversation
	for _, c := range list {
		if c.Title == "Chloe Martin" {
			big = c
		}
	}
	if big.LastSeq != 320 || len(list) < 5 {
		t.Fatalf("Chloe Martin's conversation has %d messages among %d conversations; want 320 beside the demo's", big.LastSeq, len(list))
	}
	page, err := db.Messages(ctx, sess.Me.Principal, big.ID, backend.MessagePage{})
	if err != nil {
		t.Fatal(err)
	}
	from := map[backend.PrincipalKind]int{}
	for _, m := range page {
		from[m.Sender.Kind]++
	}
	if len(page) != backend.MaxPageSize || page[len(page)-1].Seq != 320 || from[backend.KindUser] == 0 || from[backend.KindTenant] == 0 {
		t.Errorf("newest page: %d messages up to seq %d, by kind %v", len(page), page[len(page)-1].Seq, from)
	}
	report, err := db.VerifyChains(ctx, nil, nil)
	if err != nil || len(report.Problems) != 0 {
		t.Errorf("chains: %+v, %v", report, err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-data", t.TempDir(), "-messages", "0"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%q: %v", args, err)
		}
	}
	err := run(context.Background(), []string{"-data", t.TempDir(), "-tenant", "Nobody Here", "-messages", "1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `no demo tenant named "Nobody Here"`) {
		t.Errorf("unknown tenant: %v", err)
	}
}
