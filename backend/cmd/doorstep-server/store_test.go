package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/signingkey"
	"doorstep/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestServeDemoOnPostgres: with -store, the server keeps its data in
// PostgreSQL (nothing in the data directory's database), seeds the demo
// there, serves it, delivers events live, and finds it all again after a
// restart.
func TestServeDemoOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	start := func() (url string, stop func()) {
		t.Helper()
		urlFile := filepath.Join(t.TempDir(), "url")
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		errc := make(chan error, 1)
		go func() {
			errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-demo", "-store", dsn},
				env(map[string]string{"DOORSTEP_DATA_DIR": dataDir}), &stdout, &stderr)
		}()
		url = waitForFile(t, urlFile, errc)
		if out := stdout.String(); !strings.Contains(out, "database: PostgreSQL") || strings.Contains(out, dsn) {
			t.Errorf("stdout = %q; want it to name PostgreSQL, never the URL", out)
		}
		return url, func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("run returned %v after a clean shutdown", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("server did not stop")
			}
		}
	}
	ctx := context.Background()
	url, stop := start()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := c.Health(ctx); err != nil || h.Status != "ok" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	sess, err := c.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatalf("the demo landlord signs in: %v", err)
	}
	c = c.WithSession(sess.Token)
	convs, err := c.Conversations(ctx)
	if err != nil || len(convs) < 4 {
		t.Fatalf("the demo's conversations: %d, %v", len(convs), err)
	}
	for _, conv := range convs {
		if conv.LastMessage == nil || conv.LastMessage.Hash == "" {
			t.Errorf("conversation %q has no history, or no chain", conv.Title)
		}
	}
	events, err := c.Events(ctx, client.Live)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	sent, err := c.SendMessage(ctx, convs[0].ID, backend.SendMessage{Key: "postgres-live-1", Text: "Live through PostgreSQL"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ev, err := events.Next(wctx)
		cancel()
		if err != nil {
			t.Fatalf("waiting for the message's event: %v", err)
		}
		if ev.Type == backend.EventMessage {
			if ev.Message.ID != sent.ID || ev.ID == 0 {
				t.Errorf("live event %+v, want message %d", ev, sent.ID)
			}
			break
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, databaseFile)); !os.IsNotExist(err) {
		t.Errorf("a SQLite database in the data directory (%v): the data belongs in PostgreSQL", err)
	}
	stop()

	url, stop = start()
	defer stop()
	c, err = client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if sess, err = c.SignIn(ctx, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	c = c.WithSession(sess.Token)
	again, err := c.Conversations(ctx)
	if err != nil || len(again) != len(convs) {
		t.Fatalf("after a restart: %d conversations, %v; want the %d seeded once", len(again), err, len(convs))
	}
	msgs, err := c.Messages(ctx, convs[0].ID, backend.MessagePage{})
	if err != nil || len(msgs) == 0 || msgs[len(msgs)-1].ID != sent.ID {
		t.Errorf("after a restart the newest message is not the one sent: %v", err)
	}
}

// TestStoreFlag: -store takes a PostgreSQL URL (the flag over the
// environment) and refuses anything else without repeating it, as it may
// hold a password.
func TestStoreFlag(t *testing.T) {
	parse := func(args []string, environ map[string]string) (serveConfig, error) {
		return parseServeConfig(args, env(environ), &syncBuffer{})
	}
	cfg, err := parse([]string{"-store", "postgres://flag@db/doorstep"}, map[string]string{"DOORSTEP_STORE": "postgresql://env@db/doorstep"})
	if err != nil || cfg.Store != "postgres://flag@db/doorstep" {
		t.Errorf("flag and env: %q, %v; want the flag's", cfg.Store, err)
	}
	if cfg, err := parse(nil, map[string]string{"DOORSTEP_STORE": "postgresql://env@db/doorstep"}); err != nil || cfg.Store != "postgresql://env@db/doorstep" {
		t.Errorf("env: %q, %v", cfg.Store, err)
	}
	if cfg, err := parse(nil, nil); err != nil || cfg.Store != "" {
		t.Errorf("default: %q, %v; want SQLite (empty)", cfg.Store, err)
	}
	_, err = parse([]string{"-store", "mysql://user:secret@db/doorstep"}, nil)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a URL of another database: %v; want a refusal that does not repeat it", err)
	}
}

// TestMissingKeyOfAPostgresStore: the signatures of a server on PostgreSQL
// are in PostgreSQL, and a data directory without the key that made them
// is refused there too, unless told to start over.
func TestMissingKeyOfAPostgresStore(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	url, _, _ := startServe(t, filepath.Join(t.TempDir(), "data"), "-demo", "-store", dsn)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	landlord := c.WithSession(sess.Token)
	convs, err := landlord.Conversations(ctx)
	if err != nil || len(convs) == 0 {
		t.Fatalf("conversations: %v", err)
	}
	if _, err := landlord.ChainHead(ctx, convs[0].ID); err != nil {
		t.Fatal(err)
	}

	keyless := t.TempDir()
	var stdout, stderr syncBuffer
	err = run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", keyless, "-store", dsn}, env(nil), &stdout, &stderr)
	if !errors.Is(err, backend.ErrSigningKeyMissing) {
		t.Fatalf("err = %v; want the missing key refused", err)
	}
	if _, err := os.Stat(signingkey.Path(keyless)); err == nil {
		t.Fatal("a key was made in place of the missing one")
	}
	startServe(t, keyless, "-store", dsn, "-new-signing-key")
	if _, err := signingkey.Load(keyless); err != nil {
		t.Errorf("with -new-signing-key: %v", err)
	}
}
