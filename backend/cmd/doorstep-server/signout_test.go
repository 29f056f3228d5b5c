package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// childArgs, when set, makes this test binary run one doorstep-server command
// line (arguments separated by newlines) as a process of its own.
const childArgs = "DOORSTEP_CHILD_ARGS"

// TestSignOutFromAnotherProcess: `doorstep-server sign-out -email` run as a
// separate process, on the data directory of a running server, ends every
// session of that person; the server closes their open sockets with 4001
// within its session check period, and leaves other people's alone.
func TestSignOutFromAnotherProcess(t *testing.T) {
	if args := os.Getenv(childArgs); args != "" {
		if err := run(context.Background(), strings.Split(args, "\n"), os.Getenv, os.Stdout, os.Stderr); err != nil {
			t.Fatal(err)
		}
		return
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir, "-url-file", urlFile, "-demo"}, env(nil), io.Discard, io.Discard, fastHashes())
	}()
	defer func() { cancel(); <-errc }()
	url := waitForFile(t, urlFile, errc)

	anon, _ := client.New(url)
	signIn := func() *client.Client {
		s, err := anon.SignIn(ctx, demo.LandlordEmail, demo.Password)
		if err != nil {
			t.Fatal(err)
		}
		return anon.WithSession(s.Token)
	}
	open := func(c *client.Client) *client.EventStream {
		s, err := c.Events(ctx, client.Live)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	laptop, phone := signIn(), signIn()
	dir, err := laptop.Directory(ctx, "Olivia Brown")
	if err != nil || len(dir.Tenants) != 1 {
		t.Fatalf("directory: %+v, %v", dir, err)
	}
	invite, err := laptop.CreateTenantInvite(ctx, dir.Tenants[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := anon.RedeemInvite(ctx, invite)
	if err != nil {
		t.Fatal(err)
	}
	olivia := anon.WithSession(ts.Token)
	landlordStreams := []*client.EventStream{open(laptop), open(phone)}
	tenantStream := open(olivia)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSignOutFromAnotherProcess$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join([]string{"sign-out", "-data", dataDir, "-email", "LANDLORD@demo.doorstep"}, "\n"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sign-out in another process: %v\n%s", err, out.String())
	}
	ended := time.Now()
	if !strings.Contains(out.String(), "Signed out Pat Morgan (landlord user, Maple Street Rentals): 2 sessions ended.") {
		t.Errorf("sign-out printed %q", out.String())
	}

	bound := httpapi.SessionCheckPeriod + 3*time.Second // the period, the query, and a busy test machine
	for i, s := range landlordStreams {
		wait, stop := context.WithTimeout(ctx, 15*time.Second)
		var ce *client.ErrStreamClosed
		for {
			ev, err := s.Next(wait)
			if err == nil {
				if ev.Type != backend.EventReady {
					t.Errorf("socket %d received %+v after the sign-out", i, ev)
				}
				continue
			}
			if !errors.As(err, &ce) {
				t.Fatalf("socket %d ended without a close frame: %v", i, err)
			}
			break
		}
		stop()
		if ce.Code != client.CloseSessionEnded {
			t.Errorf("socket %d closed with %d %q, want %d", i, ce.Code, ce.Reason, client.CloseSessionEnded)
		}
		if d := time.Since(ended); d > bound {
			t.Errorf("socket %d closed %v after the sign-out, more than %v", i, d, bound)
		} else {
			t.Logf("socket %d closed %v after the other process signed out", i, d.Round(time.Millisecond))
		}
	}
	if _, err := laptop.Me(ctx); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Errorf("a revoked session still answers: %v", err)
	}

	// The tenant's socket stays open, and the landlord can sign in again.
	again := signIn()
	list, err := olivia.Conversations(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("Olivia's conversations: %v, %v", list, err)
	}
	m, err := again.SendMessage(ctx, list[0].ID, backend.SendMessage{Key: "after-sign-out-1", Text: "Signed in again"})
	if err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	for {
		ev, err := tenantStream.Next(wait)
		if err != nil {
			t.Fatalf("the tenant's socket: %v", err)
		}
		if ev.Type == backend.EventMessage && ev.Message.ID == m.ID {
			break
		}
	}
}

// sign-out names whom it signed out, refuses an unknown address, and makes
// no database where there is none.
func TestSignOutCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := run(ctx, []string{"demo", "-data", dir}, env(nil), io.Discard, io.Discard, fastHashes()); err != nil {
		t.Fatal(err)
	}
	signOut := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"sign-out"}, args...), env(nil), &out, io.Discard, fastHashes())
		return out.String(), err
	}

	db, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile), fastHashes())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sessions []string
	for range 2 {
		s, err := db.SignIn(ctx, demo.LandlordEmail, demo.Password)
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s.Token)
	}
	sub, err := db.SignIn(ctx, demo.SubUserEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Tenant", func(t *testing.T) {
		out, err := signOut("-data", dir, "-email", "maria.garcia@example.com")
		if err != nil || out != "Maria Garcia (tenant, Maple Street Rentals) had no open session.\n" {
			t.Errorf("stdout %q, err %v", out, err)
		}
	})
	t.Run("LandlordUser", func(t *testing.T) {
		out, err := signOut("-data", dir, "-email", " "+demo.LandlordEmail)
		if err != nil || out != "Signed out Pat Morgan (landlord user, Maple Street Rentals): 2 sessions ended.\n" {
			t.Errorf("stdout %q, err %v", out, err)
		}
		for _, tok := range sessions {
			if _, err := db.Authenticate(ctx, tok); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
				t.Errorf("a signed-out session still authenticates: %v", err)
			}
		}
		if _, err := db.Authenticate(ctx, sub.Token); err != nil {
			t.Errorf("the sub-user's session ended too: %v", err)
		}
	})
	t.Run("ErrUnknownAddress", func(t *testing.T) {
		out, err := signOut("-data", dir, "-email", "nobody@example.com")
		if err == nil || !strings.Contains(err.Error(), "No landlord user or tenant has the e-mail address nobody@example.com") || out != "" {
			t.Errorf("stdout %q, err %v", out, err)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		empty := t.TempDir()
		for _, args := range [][]string{
			{"-data", dir},
			{"-data", dir, "-email", demo.LandlordEmail, "extra"},
			{"-data", empty, "-email", demo.LandlordEmail},
		} {
			if out, err := signOut(args...); err == nil || out != "" {
				t.Errorf("sign-out %q: stdout %q, err %v; want an error", args, out, err)
			}
		}
		if _, err := os.Stat(filepath.Join(empty, databaseFile)); err == nil {
			t.Error("sign-out made a database in an empty data directory")
		}
	})
}
