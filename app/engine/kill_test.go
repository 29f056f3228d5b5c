package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// TestKilledMidSend is the desktop's "nothing lost, nothing doubled" proof:
// a child process (this test binary) writes 60 messages into the outbox and
// sends them; it is killed with SIGKILL partway. A new engine over the same
// cache then delivers the rest: every message reaches the server exactly
// once, in the order written.
func TestKilledMidSend(t *testing.T) {
	if os.Getenv("DOORSTEP_CHILD_CACHE") != "" {
		childSender(t)
		return
	}
	if testing.Short() {
		t.Skip("kills a child process")
	}
	t.Parallel()
	s := servertest.StartDemo(t)
	landlord, _ := s.Landlord(t)
	ctx := context.Background()
	list, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv := list[0].ID
	before, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
	cachePath := filepath.Join(t.TempDir(), "cache.db")

	child := exec.Command(os.Args[0], "-test.run=^TestKilledMidSend$", "-test.v")
	child.Env = append(os.Environ(), "DOORSTEP_CHILD_CACHE="+cachePath, "DOORSTEP_CHILD_SERVER="+s.URL,
		"DOORSTEP_CHILD_TOKEN="+landlord.Token(), fmt.Sprint("DOORSTEP_CHILD_CONV=", conv))
	out, _ := os.Create(filepath.Join(t.TempDir(), "child.log"))
	child.Stdout, child.Stderr = out, out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some, but not all, messages reached the server.
	if !wait.Until(30*time.Second, func() bool {
		msgs, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
		return len(msgs)-len(before) >= 10
	}) {
		t.Fatal("the child never started sending")
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()

	c, err := cache.Open(ctx, cachePath, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pending, _ := c.Outbox(ctx, 0)
	t.Logf("killed with %d messages still in the outbox", len(pending))
	eng := engine.New(c, landlord, backend.Principal{Kind: backend.KindUser, ID: 1, IsMain: true}, nil, nil, quiet)
	wait.For(t, "the outbox is empty", func() bool {
		eng.SendPending(ctx)
		out, _ := c.Outbox(ctx, 0)
		return len(out) == 0
	})

	var got []string
	for after := int64(0); ; {
		page, err := landlord.Messages(ctx, conv, backend.MessagePage{After: &after})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if strings.HasPrefix(m.Text, "outbox ") {
				got = append(got, m.Text)
			}
		}
		after = page[len(page)-1].Seq
	}
	if len(got) != 60 {
		t.Fatalf("%d messages on the server, want exactly 60: %v", len(got), got)
	}
	for i, text := range got {
		if text != fmt.Sprintf("outbox %02d", i) {
			t.Fatalf("message %d is %q: lost, doubled or out of order", i, text)
		}
	}
}

// childSender runs in the child process: it queues 60 messages (durably,
// before any network call, as the UI does) and sends them until killed.
func childSender(t *testing.T) {
	ctx := context.Background()
	c, err := cache.Open(ctx, os.Getenv("DOORSTEP_CHILD_CACHE"), "test")
	if err != nil {
		t.Fatal(err)
	}
	var conv int64
	fmt.Sscan(os.Getenv("DOORSTEP_CHILD_CONV"), &conv)
	for i := range 60 {
		if _, err := c.SendDraft(ctx, conv, fmt.Sprintf("outbox %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cl, _ := client.New(os.Getenv("DOORSTEP_CHILD_SERVER"), client.WithToken(os.Getenv("DOORSTEP_CHILD_TOKEN")))
	eng := engine.New(c, cl, backend.Principal{Kind: backend.KindUser, ID: 1, IsMain: true}, nil, nil, quiet)
	// Until killed; a pass that met a transient failure goes on at the next tick.
	for tick := time.NewTicker(5 * time.Millisecond); ; <-tick.C {
		eng.SendPending(ctx)
	}
}
