package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// messageGate is an emitter that holds the sync engine's goroutine inside
// the event of one message (the moment before the engine asks whether to
// notify) until the test lets it go.
type messageGate struct {
	text    string
	once    sync.Once
	held    chan struct{} // closed when the engine is held
	release chan struct{} // closed to let it go
}

func newMessageGate(text string) *messageGate {
	return &messageGate{text: text, held: make(chan struct{}), release: make(chan struct{})}
}

func (g *messageGate) emit(name string, data any) {
	if m, ok := data.(backend.Message); !ok || name != engine.EventMessage || m.Text != g.text {
		return
	}
	g.once.Do(func() {
		close(g.held)
		<-g.release
	})
}

// goroutines is every goroutine's stack, for a test that found a freeze.
func goroutines() string {
	buf := make([]byte, 4<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// waitingForTheEngine reports whether some goroutine is in session.stop,
// that is, waiting for a session's sync engine to end.
func waitingForTheEngine() bool {
	return strings.Contains(goroutines(), ".(*session).stop(")
}

// TestNoFreezeWhenATenantWritesDuringSignOutSignInOrQuit: a tenant's
// message that the sync engine is handling while the landlord signs out,
// signs in again over the live session, or quits must not freeze the app.
// The engine is held inside the message's event until the lifecycle call
// is waiting for the engine to stop; then the engine goes on and asks
// whether notifications are on. Nothing the engine needs may be held by a
// call that waits for it.
func TestNoFreezeWhenATenantWritesDuringSignOutSignInOrQuit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		op       func(a *AccountService, server string) (AccountState, error)
		signedIn bool
	}{
		{"SignOut", func(a *AccountService, _ string) (AccountState, error) { return a.SignOut() }, false},
		{"SignInAgain", func(a *AccountService, server string) (AccountState, error) {
			return a.SignIn(server, demo.LandlordEmail, demo.Password)
		}, true},
		{"Quit", func(a *AccountService, _ string) (AccountState, error) { a.shutdown(); return a.State() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := servertest.StartDemo(t)
			ctx := context.Background()
			olivia := s.Tenant(t, "Olivia Brown")
			text := "The boiler is leaking (" + tc.name + ")"
			gate := newMessageGate(text)
			a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(), gate.emit, quiet)
			frozen := true
			t.Cleanup(func() {
				if !frozen { // a frozen service would hang the cleanup too
					a.shutdown()
				}
			})
			if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
				t.Fatal(err)
			}
			wait.For(t, "online", func() bool { st, _ := a.State(); return st.Sync.State == engine.StateOnline })

			list, err := olivia.Conversations(ctx)
			if err != nil || len(list) == 0 {
				t.Fatalf("the tenant's conversations: %v, %v", list, err)
			}
			if _, err := olivia.SendMessage(ctx, list[0].ID, backend.SendMessage{Key: "freeze-" + strings.ToLower(tc.name), Text: text}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-gate.held:
			case <-time.After(15 * time.Second):
				t.Fatal("the tenant's message never reached the desktop")
			}

			type outcome struct {
				st  AccountState
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				st, err := tc.op(a, s.URL)
				done <- outcome{st, err}
			}()
			wait.For(t, "the call waits for the sync engine to stop", waitingForTheEngine)
			close(gate.release)

			select {
			case got := <-done:
				frozen = false
				if got.err != nil || got.st.SignedIn != tc.signedIn {
					t.Errorf("%s: %+v, %v", tc.name, got.st, got.err)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("%s froze while a tenant's message was being handled; goroutines:\n%s", tc.name, goroutines())
			}
			// The service still answers.
			if st, err := a.State(); err != nil || st.SignedIn != tc.signedIn {
				t.Errorf("state after %s: %+v, %v", tc.name, st, err)
			}
		})
	}
}

// TestASignInAnsweredAfterQuitIsDropped: quitting while the server has not
// answered a sign-in yet (the sign-in holds no lock, so quitting does not
// wait for the network) leaves no session running, and the session the
// server opened after all is ended there.
func TestASignInAnsweredAfterQuitIsDropped(t *testing.T) {
	s := servertest.StartDemo(t)
	target, _ := url.Parse(s.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	arrived, answer := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var after []string // requests once the sign-in was let through
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/auth/signin" {
			close(arrived)
			<-answer
			proxy.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		after = append(after, r.Method+" "+r.URL.Path)
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	var letGo sync.Once
	release := func() { letGo.Do(func() { close(answer) }) }
	t.Cleanup(release) // runs before front.Close, should a check fail

	keys := &memKeys{m: map[string]string{}}
	a := newAccounts(t, front.URL, t.TempDir(), keys)
	done := make(chan AccountState, 1)
	go func() {
		st, _ := a.SignIn(front.URL, demo.LandlordEmail, demo.Password)
		done <- st
	}()
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the sign-in never reached the server")
	}
	mu.Lock()
	after = nil
	mu.Unlock()
	quit := make(chan struct{})
	go func() { a.shutdown(); close(quit) }()
	select {
	case <-quit:
	case <-time.After(5 * time.Second): // well under the client's 10 s request timeout
		t.Fatalf("quitting waited for the server's answer to a sign-in; goroutines:\n%s", goroutines())
	}
	release()
	var st AccountState
	select {
	case st = <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the sign-in never returned; goroutines:\n%s", goroutines())
	}
	if now, _ := a.State(); st.SignedIn || now.SignedIn {
		t.Errorf("a session started after the app quit: %+v", now)
	}
	if len(keys.m) != 0 {
		t.Errorf("the dropped session's token was kept: %v", keys.m)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(after) != 1 || after[0] != "POST /api/v1/auth/signout" {
		t.Errorf("after the answer, the app asked %v; want the dropped session ended on the server", after)
	}
}

// TestLifecycleCallsInAnyOrder runs sign-ins, sign-outs, restores, state
// reads and the notifications switch at once (under the race detector in
// make test): none may freeze, and once a last sign-out returns no session
// is left running.
func TestLifecycleCallsInAnyOrder(t *testing.T) {
	s := servertest.StartDemo(t)
	a := newAccounts(t, s.URL, t.TempDir(), &memKeys{m: map[string]string{}})
	calls := []func(){
		func() { a.SignIn(s.URL, demo.LandlordEmail, demo.Password) },
		func() { a.SignOut() },
		func() { a.Restore() },
		func() { a.State() },
		func() { a.SetNotifications(false); a.SetNotifications(true) },
	}
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 6 {
				call()
			}
		}()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatalf("lifecycle calls froze; goroutines:\n%s", goroutines())
	}
	if st, err := a.SignOut(); err != nil || st.SignedIn {
		t.Errorf("after the last sign-out: %+v, %v", st, err)
	}
	if st, _ := a.State(); !st.Notifications {
		t.Error("the notifications switch lost its last value")
	}
}
