package app

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"doorstep/app/keychain"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// memKeys stands in for the OS keychain (tested for real in app/keychain);
// broken makes every call fail as a locked keyring does.
type memKeys struct {
	mu     sync.Mutex
	m      map[string]string
	broken bool
}

func (k *memKeys) Save(server, email, token string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.broken {
		return &keychain.UnavailableError{Reason: "The system keyring is locked."}
	}
	k.m[server+" "+email] = token
	return nil
}

func (k *memKeys) Load(server, email string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.broken {
		return "", &keychain.UnavailableError{Reason: "The system keyring is locked."}
	}
	t, ok := k.m[server+" "+email]
	if !ok {
		return "", keychain.ErrNotFound
	}
	return t, nil
}

func (k *memKeys) Delete(server, email string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, server+" "+email)
	return nil
}

// demoServer runs the real server with the demo landlord on loopback; stop
// takes it down (every connection cut).
func demoServer(t testing.TB) (url string, stop func()) {
	s := servertest.StartDemo(t)
	return s.URL, s.Stop
}

func newAccounts(t *testing.T, server, dataDir string, keys KeyStore) *AccountService {
	a := NewAccountService(Config{ServerURL: server}, &Lifecycle{}, keys, dataDir, nil, quiet)
	t.Cleanup(a.shutdown)
	return a
}

func TestAccount(t *testing.T) {
	t.Parallel()
	server, stop := demoServer(t)
	dataDir := t.TempDir()
	keys := &memKeys{m: map[string]string{}}

	t.Run("ErrMainUserOnly", func(t *testing.T) {
		a := newAccounts(t, server, dataDir, keys)
		st, err := a.SignIn(server, demo.SubUserEmail, demo.Password)
		if backend.ErrorCode(err) != backend.EMAINUSERONLY || backend.ErrorMessage(err) != "Chat is available to the main account only." || st.SignedIn {
			t.Fatalf("sub-user sign-in: %+v, %v", st, err)
		}
		if len(keys.m) != 0 {
			t.Error("a sub-user's token was kept")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		a := newAccounts(t, server, dataDir, keys)
		if _, err := a.SignIn(server, demo.LandlordEmail, "not the password"); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
			t.Fatalf("err = %v", err)
		}
	})

	var convs int
	t.Run("SignInSyncsAndKeepsTheTokenInTheKeychain", func(t *testing.T) {
		a := newAccounts(t, server, dataDir, keys)
		st, err := a.SignIn(server, demo.LandlordEmail, demo.Password)
		if err != nil || !st.SignedIn || st.OrgName != demo.OrgName || st.Currency != "USD" || st.Notice != "" {
			t.Fatalf("sign-in: %+v, %v", st, err)
		}
		if tok, _ := keys.Load(server, demo.LandlordEmail); tok == "" {
			t.Fatal("no token in the keychain")
		}
		chat, tenants := NewConversationService(a), NewTenantService(a)
		if _, err := tenants.Directory(""); err != nil { // fetched once, kept for offline
			t.Fatal(err)
		}
		wait.For(t, "caught up", func() bool { st, _ := a.State(); return st.Sync.State == "online" })
		list, _ := chat.Conversations()
		if convs = len(list); convs < 3 || list[0].LastMessage == nil {
			t.Fatalf("cached conversations: %+v", list)
		}
		// Tenant Info of every one-to-one chat and Group Details of every group,
		// seen once online, keep working offline.
		for _, c := range list {
			if c.Kind == backend.ConversationGroup {
				recs, err := tenants.GroupDetails(c.ID)
				if err != nil || len(recs) != len(c.Members) || len(recs[0].Leases) == 0 {
					t.Errorf("Group Details of %q: %+v, %v", c.Title, recs, err)
				}
			} else if rec, err := tenants.TenantRecord(c.TenantID); err != nil || len(rec.Leases) == 0 || rec.Leases[0].RentCents == 0 {
				t.Errorf("Tenant Info of %q: %+v, %v", c.Title, rec, err)
			}
			// How each member was told of the chat: an e-mail and a text each.
			if log, err := chat.DeliveryLog(c.ID); err != nil || len(log) != 2*len(c.Members) || log[0].Kind != backend.NotifyNewChat {
				t.Errorf("delivery log of %q: %+v, %v", c.Title, log, err)
			}
		}
	})

	t.Run("OfflineStartShowsCachedThreadsAndQueues", func(t *testing.T) {
		stop()
		a := newAccounts(t, server, dataDir, keys)
		st, err := a.Restore()
		if err != nil || !st.SignedIn {
			t.Fatalf("restore while the server is down: %+v, %v", st, err)
		}
		chat, tenants := NewConversationService(a), NewTenantService(a)
		list, err := chat.Conversations()
		if err != nil || len(list) != convs {
			t.Fatalf("offline list: %d conversations, %v", len(list), err)
		}
		th, err := chat.Thread(list[0].ID, 0)
		if err != nil || len(th.Messages) == 0 {
			t.Fatalf("offline thread: %+v, %v", th, err)
		}
		o, err := chat.Send(list[0].ID, "Sent from the train")
		if err != nil || o.State != "pending" {
			t.Fatalf("queued: %+v, %v", o, err)
		}
		th, _ = chat.Thread(list[0].ID, 0)
		if len(th.Outbox) != 1 || th.Outbox[0].Text != "Sent from the train" {
			t.Errorf("the queued message is not shown: %+v", th.Outbox)
		}
		wait.For(t, "offline state", func() bool { s, _ := a.State(); return s.Sync.State == "offline" })
		checked := 0
		for _, c := range list {
			if c.Kind == backend.ConversationDirect {
				rec, err := tenants.TenantRecord(c.TenantID)
				if err != nil || rec.Name != c.Title || len(rec.Leases) == 0 {
					t.Errorf("Tenant Info offline: %+v, %v", rec, err)
				}
				checked++
			}
		}
		if checked == 0 {
			t.Error("no one-to-one chat to check Tenant Info on")
		}
		if log, err := chat.DeliveryLog(list[0].ID); err != nil || len(log) == 0 {
			t.Errorf("delivery log offline: %+v, %v", log, err)
		}
		d, err := tenants.Directory("maria")
		if err != nil || len(d.Tenants) != 1 || d.Tenants[0].Name != "Maria Garcia" {
			t.Errorf("New Chat search offline: %+v, %v", d.Tenants, err)
		}
	})

	t.Run("ErrKeychainUnavailableGivesSessionOnly", func(t *testing.T) {
		server2, _ := demoServer(t)
		broken := &memKeys{m: map[string]string{}, broken: true}
		a := newAccounts(t, server2, t.TempDir(), broken)
		st, err := a.SignIn(server2, demo.LandlordEmail, demo.Password)
		if err != nil || !st.SignedIn || st.Notice == "" {
			t.Fatalf("sign-in with a locked keyring: %+v, %v", st, err)
		}
		a.shutdown()
		if st, _ := a.Restore(); st.SignedIn {
			t.Error("a session-only sign-in survived a restart without the keychain")
		}
	})

	t.Run("SignOutForgetsTheToken", func(t *testing.T) {
		server3, _ := demoServer(t)
		a := newAccounts(t, server3, t.TempDir(), keys)
		if _, err := a.SignIn(server3, demo.LandlordEmail, demo.Password); err != nil {
			t.Fatal(err)
		}
		st, err := a.SignOut()
		if err != nil || st.SignedIn {
			t.Fatalf("sign out: %+v, %v", st, err)
		}
		if _, err := keys.Load(server3, demo.LandlordEmail); !errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("token still in the keychain: %v", err)
		}
		if _, err := NewConversationService(a).Conversations(); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
			t.Errorf("chat after sign-out: %v", err)
		}
	})
}

func TestNewerCacheIsRefusedWithAClearMessage(t *testing.T) {
	t.Parallel()
	server, _ := demoServer(t)
	dataDir := t.TempDir()
	keys := &memKeys{m: map[string]string{}}
	a := newAccounts(t, server, dataDir, keys)
	if _, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	a.shutdown()
	paths, _ := filepath.Glob(filepath.Join(dataDir, "cache", "*.db"))
	if len(paths) != 1 {
		t.Fatalf("caches: %v", paths)
	}
	raw, err := sql.Open("sqlite3", "file:"+paths[0])
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec("INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 'x')")
	raw.Close()

	b := newAccounts(t, server, dataDir, keys)
	st, err := b.Restore()
	if st.SignedIn || backend.ErrorCode(err) != backend.ECONFLICT || !strings.Contains(backend.ErrorMessage(err), "newer version of Doorstep") {
		t.Fatalf("restore with a newer cache: %+v, %v", st, err)
	}
}

func TestConversationsOnline(t *testing.T) {
	t.Parallel()
	server, _ := demoServer(t)
	a := newAccounts(t, server, t.TempDir(), &memKeys{m: map[string]string{}})
	if _, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	chat, tenants := NewConversationService(a), NewTenantService(a)
	wait.For(t, "online", func() bool { s, _ := a.State(); return s.Sync.State == "online" })

	dir, err := tenants.Directory("riverside 201")
	if err != nil || len(dir.Units) != 1 {
		t.Fatalf("directory: %+v, %v", dir.Units, err)
	}
	conv, err := chat.Start(0, dir.Units[0].ID)
	if err != nil || conv.Kind != backend.ConversationGroup {
		t.Fatalf("start group: %+v, %v", conv, err)
	}
	if _, err := chat.Send(conv.ID, "   "); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("blank message: %v", err)
	}
	if _, err := chat.Send(conv.ID, "Welcome to Riverside 201!"); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "delivered", func() bool {
		th, _ := chat.Thread(conv.ID, 0)
		return len(th.Outbox) == 0 && len(th.Messages) == 1 && th.Messages[0].Text == "Welcome to Riverside 201!"
	})
	chat.SetDraft(conv.ID, "see you")
	if th, _ := chat.Thread(conv.ID, 0); th.Draft != "see you" {
		t.Errorf("draft = %q", th.Draft)
	}
	list, _ := chat.Conversations()
	if list[0].ID != conv.ID {
		t.Errorf("the newest conversation is not first: %+v", list[0])
	}
}

// Signing in again over a live session (the same account, or another)
// ends the replaced session on the server: its token stops working at
// once, and only the new one is in the keychain.
func TestSignInOverALiveSessionEndsTheOldOne(t *testing.T) {
	t.Parallel()
	server, _ := demoServer(t)
	keys := &memKeys{m: map[string]string{}}
	a := newAccounts(t, server, t.TempDir(), keys)
	if _, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	first, _ := keys.Load(server, demo.LandlordEmail)
	if st, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil || !st.SignedIn {
		t.Fatalf("second sign-in: %+v, %v", st, err)
	}
	second, _ := keys.Load(server, demo.LandlordEmail)
	if first == "" || second == "" || first == second {
		t.Fatalf("keychain tokens %q then %q: want two different sessions", first, second)
	}
	ctx := context.Background()
	old, _ := client.New(server, client.WithToken(first))
	if _, err := old.Me(ctx); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Errorf("the replaced session still works on the server: %v", err)
	}
	current, _ := client.New(server, client.WithToken(second))
	if _, err := current.Me(ctx); err != nil {
		t.Errorf("the new session: %v", err)
	}
}
