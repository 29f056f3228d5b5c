package client_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// world is a real server over a real database with two landlords:
//
//	org A "Maple Street Rentals" (America/Chicago), main user and a sub-user;
//	  Elm Court 1A: Alice + Bob, active until 2026-12-31 (a group)
//	  Elm Court 1B: Carol, expired 2026-03-31
//	  Elm Court 2A: Dan, future from 2026-09-01
//	  Elm Court 2B: Erin, active, open-ended
//	org B "Other Homes": Zed, active.
//
// The server's clock starts at 2026-06-15 noon UTC and can be moved.
type world struct {
	t        testing.TB
	path     string
	db       *sqlite.DB
	srv      *httpapi.Server
	filesDir string
	url      string
	mu       sync.Mutex
	now      time.Time
	landlord *client.Client // org A main user
	subUser  *client.Client // org A sub-user
	other    *client.Client // org B main user
	tenant   map[string]int64
	unit     map[string]int64
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

// setDate moves the server's clock to noon UTC on date (YYYY-MM-DD).
func (w *world) setDate(date string) {
	d, err := time.Parse(backend.DateLayout, date)
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.now = d.Add(12 * time.Hour)
	w.mu.Unlock()
}

func newWorld(t testing.TB) *world { t.Helper(); return newWorldIn(t, t.TempDir()) }

// newWorldIn is newWorld with its database and files in dir, opened with
// dbOpts besides the world's own.
func newWorldIn(t testing.TB, dir string, dbOpts ...sqlite.Option) *world {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "doorstep.db")
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path, append([]sqlite.Option{sqlite.WithBcryptCost(bcrypt.MinCost), sqlite.WithSigningKey(key)}, dbOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{t: t, db: db, path: path, tenant: map[string]int64{}, unit: map[string]int64{}}
	w.setDate("2026-06-15")
	db.SetClock(w.clock)

	orgA, err := db.CreateOrg(ctx, "Maple Street Rentals", "America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	orgB, _ := db.CreateOrg(ctx, "Other Homes", "Europe/Berlin")
	for _, u := range []struct {
		org   int64
		email string
		main  bool
	}{{orgA, "landlord@a.test", true}, {orgA, "assistant@a.test", false}, {orgB, "landlord@b.test", true}} {
		if _, err := db.CreateUser(ctx, u.org, u.email, "User "+u.email, "correct horse battery", u.main); err != nil {
			t.Fatal(err)
		}
	}

	// The directory goes in with plain SQL on a second connection.
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) int64 {
		t.Helper()
		res, err := raw.Exec(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	propA := exec("INSERT INTO properties (org_id, name, address) VALUES (?, 'Elm Court', '12 Elm St')", orgA)
	propB := exec("INSERT INTO properties (org_id, name, address) VALUES (?, 'Linden', '1 Linden Ave')", orgB)
	lease := func(prop int64, unit, start, end string, tenants ...string) {
		uid, ok := w.unit[unit]
		if !ok {
			uid = exec("INSERT INTO units (property_id, name) VALUES (?, ?)", prop, unit)
			w.unit[unit] = uid
		}
		var endArg any
		if end != "" {
			endArg = end
		}
		lid := exec("INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents) VALUES (?, ?, ?, 125000, 125000)", uid, start, endArg)
		for _, name := range tenants {
			tid, ok := w.tenant[name]
			if !ok {
				org := orgA
				if prop == propB {
					org = orgB
				}
				tid = exec("INSERT INTO tenants (org_id, name, email, phone, created_at) VALUES (?, ?, ?, '555-0100', '2026-01-01T00:00:00Z')",
					org, name, strings.ToLower(name)+"@tenant.test")
				w.tenant[name] = tid
			}
			exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", lid, tid)
		}
	}
	lease(propA, "1A", "2025-01-01", "2026-12-31", "Alice", "Bob")
	lease(propA, "1B", "2025-04-01", "2026-03-31", "Carol")
	lease(propA, "2A", "2026-09-01", "", "Dan")
	lease(propA, "2B", "2024-05-01", "", "Erin")
	lease(propB, "L1", "2025-01-01", "", "Zed")

	files, err := filestore.Open(filepath.Join(filepath.Dir(path), "files"), 1<<20) // 1 MB limit in tests
	if err != nil {
		t.Fatal(err)
	}
	w.filesDir = filepath.Join(filepath.Dir(path), "files")
	opts := []httpapi.Option{httpapi.WithFiles(files)}
	if _, bench := t.(*testing.B); bench {
		// Benchmarks play hundreds of tenants from one loopback address,
		// which the limits would rightly refuse; the limits have tests of
		// their own (backend/httpapi/limits_test.go).
		opts = append(opts, httpapi.WithLimits(httpapi.NoLimits()))
	}
	w.srv = httpapi.NewServer(db, slog.New(slog.NewTextHandler(testLogWriter(t), nil)), opts...)
	db.SetEventSink(w.srv.Hub().Publish)
	db.SetSessionEndSink(w.srv.Hub().EndSessions)
	ts := httptest.NewServer(w.srv.Handler())
	t.Cleanup(ts.Close)
	w.url = ts.URL
	w.landlord = w.signIn("landlord@a.test")
	w.subUser = w.signIn("assistant@a.test")
	w.other = w.signIn("landlord@b.test")
	return w
}

func (w *world) anon() *client.Client {
	c, err := client.New(w.url)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) signIn(email string) *client.Client {
	w.t.Helper()
	s, err := w.anon().SignIn(context.Background(), email, "correct horse battery")
	if err != nil {
		w.t.Fatalf("sign in %s: %v", email, err)
	}
	return w.anon().WithSession(s.Token)
}

// asTenant opens a session for a tenant through a landlord-made invite.
func (w *world) asTenant(name string) *client.Client {
	w.t.Helper()
	ctx := context.Background()
	by := w.landlord
	if name == "Zed" {
		by = w.other
	}
	invite, err := by.CreateTenantInvite(ctx, w.tenant[name])
	if err != nil {
		w.t.Fatalf("invite %s: %v", name, err)
	}
	s, err := w.anon().RedeemInvite(ctx, invite)
	if err != nil {
		w.t.Fatalf("redeem %s: %v", name, err)
	}
	return w.anon().WithSession(s.Token)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := backend.ErrorCode(err); got != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var keyN atomic.Int64

// key is a fresh message key, unique across the package's parallel tests.
func key() string { return fmt.Sprintf("key-%08d", keyN.Add(1)) }

func TestStartConversationRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	t.Run("ErrTenantCannotInitiate", func(t *testing.T) {
		alice := w.asTenant("Alice")
		_, err := alice.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]})
		wantCode(t, err, backend.ETENANTCANNOTINITIATE)
		_, err = alice.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]})
		wantCode(t, err, backend.ETENANTCANNOTINITIATE)
		if list := must[[]backend.Conversation](t)(w.landlord.Conversations(ctx)); len(list) != 0 {
			t.Errorf("a refused start left %d conversations", len(list))
		}
	})

	t.Run("ErrTenantNotActive", func(t *testing.T) {
		for name, reason := range map[string]string{"Carol": "ended on 2026-03-31", "Dan": "starts on 2026-09-01"} {
			_, err := w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant[name]})
			wantCode(t, err, backend.ETENANTNOTACTIVE)
			if !strings.Contains(backend.ErrorMessage(err), reason) {
				t.Errorf("%s: message %q does not say %q", name, backend.ErrorMessage(err), reason)
			}
		}
		_, err := w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1B"]})
		wantCode(t, err, backend.ETENANTNOTACTIVE)
	})

	t.Run("DirectoryExplainsWhoCanChat", func(t *testing.T) {
		dir := must[backend.Directory](t)(w.landlord.Directory(ctx, ""))
		can := map[string]bool{}
		for _, te := range dir.Tenants {
			can[te.Name] = te.CanChat
			if !te.CanChat && te.Reason == "" {
				t.Errorf("%s cannot chat but no reason is given", te.Name)
			}
		}
		want := map[string]bool{"Alice": true, "Bob": true, "Carol": false, "Dan": false, "Erin": true}
		if fmt.Sprint(can) != fmt.Sprint(want) {
			t.Errorf("can chat = %v, want %v (org B's Zed must not appear)", can, want)
		}
		units := map[string]bool{}
		for _, u := range dir.Units {
			units[u.Name] = u.CanChat
		}
		if fmt.Sprint(units) != fmt.Sprint(map[string]bool{"1A": true, "1B": false, "2A": false, "2B": true}) {
			t.Errorf("units = %v", units)
		}
		found := must[backend.Directory](t)(w.landlord.Directory(ctx, "elm court 1a"))
		if len(found.Units) != 1 || found.Units[0].Name != "1A" || len(found.Units[0].ActiveTenants) != 2 {
			t.Errorf("search for a unit: %+v", found.Units)
		}
		byName := must[backend.Directory](t)(w.landlord.Directory(ctx, "car"))
		if len(byName.Tenants) != 1 || byName.Tenants[0].Name != "Carol" || byName.Tenants[0].Leases[0].Status != backend.LeaseExpired {
			t.Errorf("search for a tenant: %+v", byName.Tenants)
		}
		if wild := must[backend.Directory](t)(w.landlord.Directory(ctx, "%")); len(wild.Tenants) != 0 {
			t.Errorf("%% matched %d tenants: LIKE wildcards are not escaped", len(wild.Tenants))
		}
	})

	t.Run("OneToOneIsReopenedNotDoubled", func(t *testing.T) {
		first := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
		again := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
		if first.ID != again.ID || first.Kind != backend.ConversationDirect || first.Title != "Erin" || first.Place != "Elm Court · 2B" {
			t.Errorf("first %+v, again %+v", first, again)
		}
	})

	t.Run("UnitGivesGroupOfActiveTenants", func(t *testing.T) {
		g := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
		if g.Kind != backend.ConversationGroup || g.Title != "Elm Court · 1A" || len(g.Members) != 2 {
			t.Fatalf("group = %+v", g)
		}
		for _, name := range []string{"Alice", "Bob"} {
			list := must[[]backend.Conversation](t)(w.asTenant(name).Conversations(ctx))
			if len(list) != 1 || list[0].ID != g.ID {
				t.Errorf("%s sees %+v", name, list)
			}
		}
		if list := must[[]backend.Conversation](t)(w.asTenant("Erin").Conversations(ctx)); len(list) != 1 || list[0].Kind != backend.ConversationDirect {
			t.Errorf("Erin sees %+v, want only her own chat", list)
		}
	})

	t.Run("ErrNotFoundAcrossLandlords", func(t *testing.T) {
		_, err := w.other.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]})
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.other.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]})
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.other.TenantRecord(ctx, w.tenant["Alice"])
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.other.CreateTenantInvite(ctx, w.tenant["Alice"])
		wantCode(t, err, backend.ENOTFOUND)
	})

	t.Run("ErrInvalidInput", func(t *testing.T) {
		for _, req := range []backend.StartConversation{{}, {TenantID: 1, UnitID: 1}, {TenantID: -4}} {
			_, err := w.landlord.StartConversation(ctx, req)
			wantCode(t, err, backend.EINVALID)
		}
	})
}

func TestSubUserGetsMainUserOnlyEverywhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	file := must[backend.File](t)(w.landlord.UploadFile(ctx, "lease.txt", strings.NewReader("the lease")))
	upload := must[backend.Upload](t)(w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "b.txt", Size: 5, SHA256: strings.Repeat("0", 64)}))
	me := must[backend.Me](t)(w.subUser.Me(ctx))
	if me.IsMain || me.Kind != backend.KindUser {
		t.Fatalf("sub-user me = %+v", me)
	}
	calls := map[string]func() error{
		"directory":     func() error { _, err := w.subUser.Directory(ctx, ""); return err },
		"tenant record": func() error { _, err := w.subUser.TenantRecord(ctx, w.tenant["Erin"]); return err },
		"conversations": func() error { _, err := w.subUser.Conversations(ctx); return err },
		"conversation":  func() error { _, err := w.subUser.Conversation(ctx, conv.ID); return err },
		"start": func() error {
			_, err := w.subUser.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Alice"]})
			return err
		},
		"messages": func() error { _, err := w.subUser.Messages(ctx, conv.ID, backend.MessagePage{}); return err },
		"send": func() error {
			_, err := w.subUser.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: "hi"})
			return err
		},
		"read":   func() error { return w.subUser.MarkRead(ctx, conv.ID, 1) },
		"invite": func() error { _, err := w.subUser.CreateTenantInvite(ctx, w.tenant["Erin"]); return err },
		"notifications": func() error {
			_, err := w.subUser.ConversationNotifications(ctx, conv.ID)
			return err
		},
		"upload file":        func() error { _, err := w.subUser.UploadFile(ctx, "a.txt", strings.NewReader("hello")); return err },
		"download file":      func() error { _, _, err := w.subUser.DownloadFile(ctx, file.ID, io.Discard); return err },
		"conversation files": func() error { _, err := w.subUser.ConversationFiles(ctx, conv.ID); return err },
		"begin upload": func() error {
			_, err := w.subUser.BeginUpload(ctx, backend.NewUpload{Name: "a.txt", Size: 5, SHA256: strings.Repeat("0", 64)})
			return err
		},
		// The same answer whether or not the upload exists, and whoever began it.
		"upload status":          func() error { _, err := w.subUser.UploadStatus(ctx, upload.ID); return err },
		"upload status, unknown": func() error { _, err := w.subUser.UploadStatus(ctx, "no-such-upload"); return err },
		"append upload": func() error {
			_, err := w.subUser.AppendUpload(ctx, upload.ID, 0, strings.NewReader("hello"))
			return err
		},
		"cancel upload":          func() error { return w.subUser.CancelUpload(ctx, upload.ID) },
		"cancel upload, unknown": func() error { return w.subUser.CancelUpload(ctx, "no-such-upload") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			wantCode(t, err, backend.EMAINUSERONLY)
			if backend.ErrorMessage(err) != "Chat is available to the main account only." {
				t.Errorf("message = %q", backend.ErrorMessage(err))
			}
		})
	}
	if msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{})); len(msgs) != 0 {
		t.Errorf("a sub-user's refused send was stored: %+v", msgs)
	}
	if got := must[backend.Upload](t)(w.landlord.UploadStatus(ctx, upload.ID)); got.Offset != 0 {
		t.Errorf("the landlord's upload after the sub-user's tries: %+v", got)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	alice, bob, erin := w.asTenant("Alice"), w.asTenant("Bob"), w.asTenant("Erin")

	t.Run("SendAndReadBack", func(t *testing.T) {
		m := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Water off 9–11 tomorrow 🚰"}))
		if m.Seq != 1 || m.Sender.Kind != backend.KindUser || m.Text != "Water off 9–11 tomorrow 🚰" {
			t.Fatalf("message = %+v", m)
		}
		r := must[backend.Message](t)(alice.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Thanks!"}))
		if r.Seq != 2 || r.Sender.Name != "Alice" {
			t.Fatalf("reply = %+v", r)
		}
		got := must[[]backend.Message](t)(bob.Messages(ctx, group.ID, backend.MessagePage{}))
		if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 {
			t.Fatalf("Bob reads %+v", got)
		}
	})

	t.Run("RetryDoesNotDuplicate", func(t *testing.T) {
		k := key()
		first := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: k, Text: "once"}))
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				again, err := w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: k, Text: "once"})
				if err != nil || again.ID != first.ID {
					t.Errorf("retry = %+v, %v; want message %d", again, err, first.ID)
				}
			}()
		}
		wg.Wait()
		n := 0
		for _, m := range must[[]backend.Message](t)(w.landlord.Messages(ctx, group.ID, backend.MessagePage{})) {
			if m.Key == k {
				n++
			}
		}
		if n != 1 {
			t.Errorf("key stored %d times", n)
		}
		_, err := w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: k, Text: "something else"})
		wantCode(t, err, backend.ECONFLICT)
	})

	t.Run("ErrNotAMember", func(t *testing.T) {
		_, err := erin.Conversation(ctx, group.ID)
		wantCode(t, err, backend.ENOTAMEMBER)
		_, err = erin.Messages(ctx, group.ID, backend.MessagePage{})
		wantCode(t, err, backend.ENOTAMEMBER)
		_, err = erin.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "let me in"})
		wantCode(t, err, backend.ENOTAMEMBER)
		wantCode(t, erin.MarkRead(ctx, group.ID, 1), backend.ENOTAMEMBER)
	})

	t.Run("ErrNotFoundForOtherLandlordAndTheirTenants", func(t *testing.T) {
		zed := w.asTenant("Zed")
		for _, c := range []*client.Client{w.other, zed} {
			_, err := c.Conversation(ctx, group.ID)
			wantCode(t, err, backend.ENOTFOUND)
			_, err = c.Messages(ctx, group.ID, backend.MessagePage{})
			wantCode(t, err, backend.ENOTFOUND)
			_, err = c.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "hello?"})
			wantCode(t, err, backend.ENOTFOUND)
		}
	})

	t.Run("HostileTextIsStoredAsText", func(t *testing.T) {
		text := `<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"`
		m := must[backend.Message](t)(alice.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: text}))
		if m.Text != text {
			t.Errorf("text came back as %q", m.Text)
		}
	})

	t.Run("ErrBadMessages", func(t *testing.T) {
		before := len(must[[]backend.Message](t)(w.landlord.Messages(ctx, group.ID, backend.MessagePage{})))
		for name, tc := range map[string]struct {
			req  backend.SendMessage
			code string
		}{
			"Empty":       {backend.SendMessage{Key: key(), Text: "  \n "}, backend.EINVALID},
			"TooLong":     {backend.SendMessage{Key: key(), Text: strings.Repeat("é", backend.MaxMessageRunes+1)}, backend.ETOOLARGE},
			"ShortKey":    {backend.SendMessage{Key: "k", Text: "hi"}, backend.EINVALID},
			"NulByte":     {backend.SendMessage{Key: key(), Text: "a\x00b"}, backend.EINVALID},
			"Escape":      {backend.SendMessage{Key: key(), Text: "\x1b[31mred"}, backend.EINVALID},
			"KeyWithPath": {backend.SendMessage{Key: "../../etc/passwd", Text: "hi"}, backend.EINVALID},
			"ForeignFile": {backend.SendMessage{Key: key(), Text: "hi", FileIDs: []int64{999}}, backend.ENOTFOUND},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := w.landlord.SendMessage(ctx, group.ID, tc.req)
				wantCode(t, err, tc.code)
			})
		}
		exactly := strings.Repeat("é", backend.MaxMessageRunes)
		must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: exactly}))
		after := len(must[[]backend.Message](t)(w.landlord.Messages(ctx, group.ID, backend.MessagePage{})))
		if after != before+1 {
			t.Errorf("messages went from %d to %d; only the 10,000-character one should be stored", before, after)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		direct := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
		for i := 1; i <= 150; i++ {
			must[backend.Message](t)(w.landlord.SendMessage(ctx, direct.ID, backend.SendMessage{Key: key(), Text: fmt.Sprint(i)}))
		}
		newest := must[[]backend.Message](t)(w.landlord.Messages(ctx, direct.ID, backend.MessagePage{}))
		if len(newest) != 100 || newest[0].Seq != 51 || newest[99].Seq != 150 {
			t.Fatalf("newest page: %d messages, %d..%d", len(newest), newest[0].Seq, newest[len(newest)-1].Seq)
		}
		older := must[[]backend.Message](t)(w.landlord.Messages(ctx, direct.ID, backend.MessagePage{Before: 51, Limit: 20}))
		if len(older) != 20 || older[0].Seq != 31 || older[19].Seq != 50 {
			t.Fatalf("older page: %+v", older)
		}
		after := must[[]backend.Message](t)(erin.Messages(ctx, direct.ID, backend.MessagePage{After: new(int64(145))}))
		if len(after) != 5 || after[0].Seq != 146 {
			t.Fatalf("after page: %+v", after)
		}
		_, err := w.landlord.Messages(ctx, direct.ID, backend.MessagePage{Limit: 101})
		wantCode(t, err, backend.EINVALID)
		_, err = w.landlord.Messages(ctx, direct.ID, backend.MessagePage{Before: 5, After: new(int64(2))})
		wantCode(t, err, backend.EINVALID)
	})

	t.Run("UnreadAndMarkRead", func(t *testing.T) {
		conv := must[backend.Conversation](t)(bob.Conversation(ctx, group.ID))
		if conv.Unread == 0 || conv.LastMessage == nil {
			t.Fatalf("Bob's view = %+v, want unread messages", conv)
		}
		if err := bob.MarkRead(ctx, group.ID, conv.LastSeq+100); err != nil {
			t.Fatal(err)
		}
		conv = must[backend.Conversation](t)(bob.Conversation(ctx, group.ID))
		if conv.Unread != 0 || conv.ReadSeq != conv.LastSeq {
			t.Errorf("after reading: %+v", conv)
		}
		if err := bob.MarkRead(ctx, group.ID, 1); err != nil {
			t.Fatal(err)
		}
		if again := must[backend.Conversation](t)(bob.Conversation(ctx, group.ID)); again.ReadSeq != conv.ReadSeq {
			t.Errorf("read position went back to %d", again.ReadSeq)
		}
	})
}

func TestLeaseEndingClosesTheChatForTheTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	alice := w.asTenant("Alice")
	must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "before the move-out"}))
	if c := must[backend.Conversation](t)(alice.Conversation(ctx, group.ID)); c.ReadOnly || c.ReadOnlyReason != "" {
		t.Errorf("an active tenant's chat is read-only: %+v", c)
	}

	w.setDate("2027-01-02") // the lease ended on 2026-12-31
	// Sessions last 30 days: sign in again on the new date. A former tenant
	// can still open a session, to read what they are allowed to.
	w.landlord = w.signIn("landlord@a.test")
	alice = w.asTenant("Alice")
	_, err := alice.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "still here?"})
	wantCode(t, err, backend.ETENANTNOTACTIVE)
	// The portal knows before she tries: the chat is read-only, with why.
	for _, c := range must[[]backend.Conversation](t)(alice.Conversations(ctx)) {
		if c.ID == group.ID && (!c.ReadOnly || !strings.Contains(c.ReadOnlyReason, "no longer active")) {
			t.Errorf("after the lease: %+v", c)
		}
	}
	// Nobody of the unit can read new messages: the landlord's view says so,
	// and a message that would reach no one is refused, not stored.
	if c := must[backend.Conversation](t)(w.landlord.Conversation(ctx, group.ID)); !c.ReadOnly ||
		c.ReadOnlyReason != "No tenant of Elm Court · 1A is on an active lease any more. New messages would reach no one, so this conversation is read-only." {
		t.Errorf("the landlord's view of a chat no one can read: %+v", c)
	}
	_, err = w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "after the move-out"})
	wantCode(t, err, backend.ETENANTNOTACTIVE)
	if !strings.Contains(backend.ErrorMessage(err), "would reach no one") {
		t.Errorf("refusal: %v", err)
	}

	seen := must[[]backend.Message](t)(alice.Messages(ctx, group.ID, backend.MessagePage{}))
	if len(seen) != 1 || seen[0].Text != "before the move-out" {
		t.Errorf("Alice sees %+v; want the message from before her lease ended", seen)
	}
	if all := must[[]backend.Message](t)(w.landlord.Messages(ctx, group.ID, backend.MessagePage{})); len(all) != 1 {
		t.Errorf("the landlord's history: got %d messages, want 1", len(all))
	}
	_, err = w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Alice"]})
	wantCode(t, err, backend.ETENANTNOTACTIVE)
	events, err := w.db.Events(ctx, must[backend.Me](t)(alice.Me(ctx)).Principal, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Message != nil && ev.Message.Text == "after the move-out" {
			t.Error("a tenant whose lease ended still received a new message event")
		}
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	t.Run("ErrWrongPassword", func(t *testing.T) {
		_, err := w.anon().SignIn(ctx, "landlord@a.test", "wrong password!")
		wantCode(t, err, backend.EUNAUTHORIZED)
		_, err = w.anon().SignIn(ctx, "nobody@a.test", "correct horse battery")
		wantCode(t, err, backend.EUNAUTHORIZED)
	})
	t.Run("ErrForgedToken", func(t *testing.T) {
		for _, tok := range []string{"", "forged", strings.Repeat("A", 43), strings.Repeat("x", 5000)} {
			_, err := w.anon().WithSession(tok).Conversations(ctx)
			wantCode(t, err, backend.EUNAUTHORIZED)
		}
	})
	t.Run("SignOutRevokes", func(t *testing.T) {
		c := w.signIn("landlord@a.test")
		if err := c.SignOut(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := c.Me(ctx)
		wantCode(t, err, backend.EUNAUTHORIZED)
		if _, err := w.landlord.Me(ctx); err != nil {
			t.Errorf("signing out one session ended another: %v", err)
		}
	})
	t.Run("ErrExpiredSession", func(t *testing.T) {
		c := w.signIn("landlord@a.test")
		w.setDate("2026-08-01")
		defer w.setDate("2026-06-15")
		_, err := c.Me(ctx)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})
	t.Run("ErrInviteIsSingleUse", func(t *testing.T) {
		invite := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
		s := must[backend.Session](t)(w.anon().RedeemInvite(ctx, invite))
		if s.Me.Kind != backend.KindTenant || s.Me.Name != "Erin" {
			t.Errorf("tenant session = %+v", s.Me)
		}
		_, err := w.anon().RedeemInvite(ctx, invite)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})
	t.Run("ErrExpiredInvite", func(t *testing.T) {
		invite := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
		w.setDate("2026-07-01")
		defer w.setDate("2026-06-15")
		_, err := w.anon().RedeemInvite(ctx, invite)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})
}

func TestHostileRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	send := fmt.Sprintf("%s/api/v1/conversations/%d/messages", w.url, conv.ID)
	for name, tc := range map[string]struct {
		contentType, body, code string
	}{
		"ErrNotJSON":         {"application/json", "{nope", backend.EINVALID},
		"ErrWrongType":       {"text/plain", `{"key":"abcdefgh","text":"hi"}`, backend.EINVALID},
		"ErrUnknownField":    {"application/json", `{"key":"abcdefgh","text":"hi","admin":true}`, backend.EINVALID},
		"ErrInvalidUTF8":     {"application/json", "{\"key\":\"abcdefgh\",\"text\":\"\xff\xfe\"}", backend.EINVALID},
		"ErrTwoValues":       {"application/json", `{"key":"abcdefgh","text":"a"}{"key":"abcdefgi","text":"b"}`, backend.EINVALID},
		"ErrFieldType":       {"application/json", `{"key":12345678,"text":"hi"}`, backend.EINVALID},
		"ErrHugeBody":        {"application/json", `{"key":"abcdefgh","text":"` + strings.Repeat("a", 100_000) + `"}`, backend.ETOOLARGE},
		"ErrEmptyBody":       {"application/json", "", backend.EINVALID},
		"ErrNullByteInField": {"application/json", `{"key":"abcd\u0000efgh","text":"hi"}`, backend.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", send, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
				t.Errorf("status %d body %s, want code %s", resp.StatusCode, body, tc.code)
			}
		})
	}
	if msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{})); len(msgs) != 0 {
		t.Errorf("hostile requests stored %d messages", len(msgs))
	}
	t.Run("ErrBadIDs", func(t *testing.T) {
		for _, path := range []string{"/api/v1/conversations/abc", "/api/v1/conversations/-1", "/api/v1/conversations/99999999999999999999", "/api/v1/tenants/0"} {
			req, _ := http.NewRequest("GET", w.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
			}
		}
	})
	t.Run("ErrMethod", func(t *testing.T) {
		req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/api/v1/conversations/%d", w.url, conv.ID), nil)
		req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
			t.Errorf("status %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

func TestTenantRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rec := must[backend.TenantRecord](t)(w.landlord.TenantRecord(context.Background(), w.tenant["Alice"]))
	if rec.Name != "Alice" || len(rec.Leases) != 1 || rec.MoveIn != "2025-01-01" {
		t.Fatalf("record = %+v", rec)
	}
	l := rec.Leases[0]
	if l.Status != backend.LeaseActive || l.UnitName != "1A" || l.PropertyName != "Elm Court" || len(l.Tenants) != 2 || l.RentCents != 125000 {
		t.Errorf("lease = %+v", l)
	}
	_, err := w.asTenant("Alice").TenantRecord(context.Background(), w.tenant["Alice"])
	wantCode(t, err, backend.EFORBIDDEN)
}

// testLogWriter sends the server's log to the test log (shown on failure).
func testLogWriter(t testing.TB) io.Writer { return logWriter{t} }

type logWriter struct{ t testing.TB }

func (l logWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "level=ERROR") {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}
