package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/sqlite"
	"doorstep/internal/wait"
)

// buildServer compiles doorstep-server into dir, once per test binary run.
func buildServer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "doorstep-server")
	cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs the server binary on addr over dataDir, with more
// flags if given, and waits until it listens; it returns the process and
// the server URL.
func startProcess(t testing.TB, bin, addr, dataDir string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	cmd := exec.Command(bin, append([]string{"serve", "-addr", addr, "-data", dataDir, "-url-file", urlFile}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var url []byte
	wait.For(t, "the server started", func() bool {
		b, err := os.ReadFile(urlFile)
		url = b
		return err == nil
	})
	return cmd, strings.TrimSpace(string(url))
}

// seedConversations makes an organisation whose main user has a one-to-one
// conversation with each of n tenants on active leases.
func seedConversations(t *testing.T, dataDir string, n int) (convIDs, tenantIDs []int64) {
	t.Helper()
	ctx := context.Background()
	os.MkdirAll(dataDir, 0o700)
	path := filepath.Join(dataDir, databaseFile)
	db, err := sqlite.Open(ctx, path, fastHashes())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, _ := db.CreateOrg(ctx, "Fault Rentals", "UTC")
	if _, err := db.CreateUser(ctx, org, "landlord@fault.test", "Landlord", "correct horse battery", true); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	prop, _ := mustExec(t, raw, "INSERT INTO properties (org_id, name) VALUES (?, 'Block')", org).LastInsertId()
	for i := range n {
		unit, _ := mustExec(t, raw, "INSERT INTO units (property_id, name) VALUES (?, ?)", prop, fmt.Sprint("U", i)).LastInsertId()
		lease, _ := mustExec(t, raw, "INSERT INTO leases (unit_id, start_date) VALUES (?, '2020-01-01')", unit).LastInsertId()
		tenant, _ := mustExec(t, raw, "INSERT INTO tenants (org_id, name, created_at) VALUES (?, ?, '2020-01-01T00:00:00Z')", org, fmt.Sprint("Tenant ", i)).LastInsertId()
		mustExec(t, raw, "INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", lease, tenant)
		tenantIDs = append(tenantIDs, tenant)
	}
	raw.Close()
	sess, err := db.SignIn(ctx, "landlord@fault.test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tenantIDs {
		c, _, err := db.StartConversation(ctx, sess.Me.Principal, backend.StartConversation{TenantID: tid})
		if err != nil {
			t.Fatal(err)
		}
		convIDs = append(convIDs, c.ID)
	}
	return convIDs, tenantIDs
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) sql.Result {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// TestKillMidStream is the durability proof: senders write concurrently,
// the server is killed with SIGKILL mid-stream and restarted, and senders
// retry what was not acknowledged with the same key. Every acknowledged
// message must survive exactly once, in each sender's order, and retries
// must not create duplicates.
func TestKillMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server process")
	}
	ctx := context.Background()
	bin := buildServer(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	const nConv, perSender = 8, 40
	convIDs, tenantIDs := seedConversations(t, dataDir, nConv)

	proc, url := startProcess(t, bin, "127.0.0.1:0", dataDir)
	addr := strings.TrimPrefix(url, "http://")
	anon, _ := client.New(url)
	sess, err := anon.SignIn(ctx, "landlord@fault.test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	landlord := anon.WithSession(sess.Token)

	type sender struct {
		c    *client.Client
		conv int64
		name string
	}
	var senders []sender
	for i, conv := range convIDs {
		invite, err := landlord.CreateTenantInvite(ctx, tenantIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		ts, err := anon.RedeemInvite(ctx, invite)
		if err != nil {
			t.Fatal(err)
		}
		senders = append(senders, sender{landlord, conv, fmt.Sprint("landlord", i)}, sender{anon.WithSession(ts.Token), conv, fmt.Sprint("tenant", i)})
	}

	// A websocket listener (the landlord) that resumes with since after the
	// kill must see every message event exactly once.
	events := map[int64]int{} // message id → times seen
	var evMu sync.Mutex
	listenerDone := make(chan struct{})
	stopListening := make(chan struct{})
	listening := make(chan struct{}) // closed at the first "ready": subscribed, so no send is missed
	var listeningOnce sync.Once
	go func() {
		defer close(listenerDone)
		last := int64(client.Live)
		for {
			select {
			case <-stopListening:
				return
			default:
			}
			s, err := landlord.Events(ctx, last)
			if err != nil {
				time.Sleep(25 * time.Millisecond)
				continue
			}
			if last == client.Live {
				last = 0 // from here on, resume from what was seen
			}
			for {
				rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				ev, err := s.Next(rctx)
				cancel()
				if err != nil {
					break
				}
				if ev.Type == backend.EventReady {
					listeningOnce.Do(func() { close(listening) })
					continue
				}
				if ev.ID <= last {
					t.Errorf("event %d after %d: repeated or out of order", ev.ID, last)
				}
				last = ev.ID
				if ev.Message != nil {
					evMu.Lock()
					events[ev.Message.ID]++
					evMu.Unlock()
				}
			}
			s.Close()
		}
	}()
	select { // the listener connects before the first send
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the websocket listener never connected")
	}

	var acked atomic.Int64
	var mu sync.Mutex
	ackedBeforeKill := map[string]int64{} // key → message id, acknowledged before the kill
	var killed atomic.Bool
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perSender {
				req := backend.SendMessage{Key: fmt.Sprintf("%s-%04d", s.name, n), Text: fmt.Sprintf("%s #%d", s.name, n)}
				for attempt := 0; ; attempt++ {
					m, err := s.c.SendMessage(ctx, s.conv, req)
					if err == nil {
						acked.Add(1)
						if !killed.Load() {
							mu.Lock()
							ackedBeforeKill[req.Key] = m.ID
							mu.Unlock()
						}
						break
					}
					if backend.ErrorCode(err) != backend.EUNREACHABLE && backend.ErrorCode(err) != backend.EINVALID {
						t.Errorf("%s: %v", req.Key, err)
						return
					}
					if attempt > 400 {
						t.Errorf("%s: gave up: %v", req.Key, err)
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
			}
		}()
	}

	wait.For(t, "a third of the sends are acknowledged", func() bool { return acked.Load() >= int64(len(senders)*perSender/3) })
	killed.Store(true)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	mu.Lock()
	before := len(ackedBeforeKill)
	mu.Unlock()
	t.Logf("killed the server after %d acknowledged sends", before)
	startProcess(t, bin, addr, dataDir)
	wg.Wait()

	// Let the listener catch up, then stop it.
	wait.Until(wait.Timeout, func() bool { // what it missed is reported below
		evMu.Lock()
		defer evMu.Unlock()
		return len(events) >= len(senders)*perSender
	})
	close(stopListening)
	<-listenerDone

	// Check from the landlord's side, after the restart.
	total := 0
	stored := map[int64]bool{}
	for _, conv := range convIDs {
		var all []backend.Message
		for after := int64(0); ; {
			page, err := landlord.Messages(ctx, conv, backend.MessagePage{After: &after})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].Seq
		}
		seen := map[string]bool{}
		last := map[string]int{} // sender → last n
		for i, m := range all {
			stored[m.ID] = true
			if m.Seq != int64(i+1) {
				t.Errorf("conversation %d: message %d has seq %d (gap or repeat)", conv, i+1, m.Seq)
			}
			if seen[m.Key] {
				t.Errorf("conversation %d: key %s stored twice", conv, m.Key)
			}
			seen[m.Key] = true
			name, nStr, _ := strings.Cut(m.Key, "-")
			n, _ := strconv.Atoi(nStr)
			if prev, ok := last[name]; ok && n != prev+1 {
				t.Errorf("conversation %d: %s's message %d follows %d (out of order)", conv, name, n, prev)
			}
			last[name] = n
			mu.Lock()
			if id, ok := ackedBeforeKill[m.Key]; ok && id != m.ID {
				t.Errorf("%s was acknowledged as message %d but is stored as %d", m.Key, id, m.ID)
			}
			mu.Unlock()
		}
		mu.Lock()
		for k := range ackedBeforeKill {
			if !seen[k] && keyInConv(k, conv, convIDs) {
				t.Errorf("%s was acknowledged before the kill and is lost", k)
			}
		}
		mu.Unlock()
		total += len(all)
	}
	if want := len(senders) * perSender; total != want {
		t.Errorf("%d messages stored, want exactly %d", total, want)
	}
	evMu.Lock()
	defer evMu.Unlock()
	for id := range stored {
		if events[id] != 1 {
			t.Errorf("message %d reached the websocket listener %d times, want exactly once", id, events[id])
		}
	}
}

// keyInConv tells whether a sender key ("landlord3-0007", "tenant3-0012")
// belongs to conversation conv (the sender's index in convIDs).
func keyInConv(key string, conv int64, convIDs []int64) bool {
	name, _, _ := strings.Cut(key, "-")
	idx := strings.TrimPrefix(strings.TrimPrefix(name, "landlord"), "tenant")
	for i, c := range convIDs {
		if c == conv {
			return idx == fmt.Sprint(i)
		}
	}
	return false
}
