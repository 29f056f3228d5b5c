// Command bigthread gives the demo landlord a conversation of many messages,
// written into a server's data directory while no server runs: the long
// thread the desktop benchmark (scripts/bench-desktop.sh) opens. The demo is
// seeded first when the database is empty.
//
// Usage: go run -tags sqlite_fts5 ./internal/bigthread -data DIR [-tenant NAME] [-messages N]
//
// The messages go through the store's own SendMessage, so each has its seq,
// its link in the conversation's hash chain and its event, as if sent
// through the API; only the HTTP round trips are skipped. Many senders at
// once let the store's one writer commit them in batches (100,000 take
// under a minute here). Each message has an idempotency key, so a second
// run adds only what the first did not: -messages is what the conversation
// holds from this program once it is done.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/sqlite"
)

// senders is how many messages are in flight at once: enough to fill the
// writer's batches.
const senders = 256

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bigthread:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bigthread", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "the server's data `directory` (required)")
	tenant := fs.String("tenant", "Chloe Martin", "the demo tenant the conversation is with (on an active lease)")
	n := fs.Int("messages", 100_000, "how many messages to add")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *n < 1 {
		return errors.New("usage: bigthread -data DIR [-tenant NAME] [-messages N]")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(*dir, "doorstep.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	conv, err := seed(ctx, db, *tenant, *n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bigthread: %d messages with %s (conversation %d) in %.1f s\n", *n, *tenant, conv.ID, time.Since(start).Seconds())
	return nil
}

// seed seeds the demo when the database is empty, then starts (or finds)
// the landlord's conversation with the tenant named and sends its n
// messages, taking turns: landlord, tenant.
func seed(ctx context.Context, db *sqlite.DB, tenantName string, n int) (backend.Conversation, error) {
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		return backend.Conversation{}, err
	}
	sess, err := db.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		return backend.Conversation{}, fmt.Errorf("sign in as the demo landlord: %w", err)
	}
	defer db.SignOut(ctx, sess.Token)
	landlord := sess.Me.Principal
	dir, err := db.Directory(ctx, landlord, tenantName)
	if err != nil {
		return backend.Conversation{}, err
	}
	var tenant backend.Principal
	for _, t := range dir.Tenants {
		if t.Name == tenantName {
			tenant = backend.Principal{Kind: backend.KindTenant, ID: t.ID, OrgID: landlord.OrgID, Name: t.Name}
		}
	}
	if tenant.ID == 0 {
		return backend.Conversation{}, fmt.Errorf("no demo tenant named %q", tenantName)
	}
	conv, _, err := db.StartConversation(ctx, landlord, backend.StartConversation{TenantID: tenant.ID})
	if err != nil {
		return backend.Conversation{}, fmt.Errorf("start the conversation: %w", err)
	}

	jobs := make(chan int)
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				from := landlord
				if i%2 == 1 {
					from = tenant
				}
				req := backend.SendMessage{Key: fmt.Sprintf("bigthread-%d-%d", conv.ID, i), Text: text(i)}
				if _, err := db.SendMessage(ctx, from, conv.ID, req); err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
			}
		}()
	}
	var failed error
feed:
	for i := range n {
		select {
		case jobs <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if failed == nil {
		failed = <-errs // nil once closed and empty
	}
	return conv, failed
}

// lines are what the messages say, in turn: short and long, as a chat is.
var lines = []string{
	"Hi, just checking in about the repairs.",
	"The technician is booked for Tuesday morning between 9 and 11; please leave the side gate open.",
	"Thanks!",
	"Could you send a photo of the meter reading when you have a moment?",
	"Rent for this month is received, thank you. The receipt is in the portal as usual.",
	"The hallway light on the second floor is flickering again.",
	"Noted — I'll have it replaced this week.",
}

func text(i int) string { return lines[i%len(lines)] }
