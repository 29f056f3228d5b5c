package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/httpapi"
	"doorstep/backend/servertest"
	"doorstep/backend/sqlite"
)

// waitClosed reads s until the server closes it, failing on any event that
// carries a message, and returns the close error. Deadline: 15 s.
func waitClosed(t *testing.T, s *client.EventStream) *client.ErrStreamClosed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			var ce *client.ErrStreamClosed
			if !errors.As(err, &ce) {
				t.Fatalf("the stream ended without a close frame: %v", err)
			}
			return ce
		}
		if ev.Type != backend.EventReady {
			t.Fatalf("after its session ended, the socket received %+v", ev)
		}
	}
}

// liveStream opens c's live events and waits for the server's "ready", so
// that what follows is written by the live loop, not the start-up.
func liveStream(t *testing.T, c *client.Client) *client.EventStream {
	t.Helper()
	s := stream(t, c, client.Live)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ev, err := s.Next(ctx); err != nil || ev.Type != backend.EventReady {
		t.Fatalf("first event %+v, %v; want ready", ev, err)
	}
	return s
}

// wantSessionEnded checks a close is the documented session-ended one, and
// that the client reports it as the refused session it is.
func wantSessionEnded(t *testing.T, ce *client.ErrStreamClosed) {
	t.Helper()
	if client.CloseSessionEnded != 4001 || ce.Code != client.CloseSessionEnded || ce.Reason != "session ended" || !ce.SessionEnded() {
		t.Fatalf("closed with %d %q, want 4001 \"session ended\"", ce.Code, ce.Reason)
	}
	if backend.ErrorCode(ce) != backend.EUNAUTHORIZED || backend.ErrorMessage(ce) != backend.SessionEndedMessage {
		t.Errorf("the close reads as %q %q, want unauthorized with the session-ended sentence", backend.ErrorCode(ce), backend.ErrorMessage(ce))
	}
}

// TestSignOutClosesThatSessionsSockets: signing out closes every socket of
// that session at once with 4001, nothing sent afterwards reaches them, and
// the same landlord's other session keeps receiving.
func TestSignOutClosesThatSessionsSockets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	laptop, phone := w.signIn("landlord@a.test"), w.signIn("landlord@a.test")
	window1, window2 := stream(t, laptop, client.Live), stream(t, laptop, client.Live)
	other := stream(t, phone, client.Live)
	before := must[backend.Message](t)(w.landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: "before"}))
	for _, s := range []*client.EventStream{window1, window2, other} {
		if ev := next(t, s); ev.Message == nil || ev.Message.ID != before.ID {
			t.Fatalf("before the sign-out: %+v", ev)
		}
	}
	subs := w.srv.Hub().Subscribers()

	if err := laptop.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	// Once sign-out has answered, the hub has let go of that session's
	// sockets: not left for the periodic check to find.
	if n := w.srv.Hub().Subscribers(); n != subs-2 {
		t.Errorf("right after the sign-out %d subscriptions are left of %d, want 2 fewer", n, subs)
	}
	after := must[backend.Message](t)(phone.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: "after"}))
	wantSessionEnded(t, waitClosed(t, window1))
	wantSessionEnded(t, waitClosed(t, window2))
	if ev := next(t, other); ev.Message == nil || ev.Message.ID != after.ID {
		t.Errorf("the other session got %+v, want the message sent after the sign-out", ev)
	}
	_, err := laptop.Events(ctx, client.Live)
	wantCode(t, err, backend.EUNAUTHORIZED)
}

// TestExpiredSessionClosesItsSocket: a session's expiry closes its socket
// with 4001 while it is open, and an event published after the expiry is
// never written to it, even before the server's periodic check has run.
func TestExpiredSessionClosesItsSocket(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))

	t.Run("ClosedWhileIdle", func(t *testing.T) {
		w.setDate("2026-06-15")
		c := w.signIn("landlord@a.test") // valid 30 days
		s := liveStream(t, c)
		w.setDate("2026-07-16")
		start := time.Now()
		wantSessionEnded(t, waitClosed(t, s))
		t.Logf("idle socket closed %v after its session expired", time.Since(start).Round(time.Millisecond))
	})

	t.Run("NothingWrittenAfterExpiry", func(t *testing.T) {
		w.setDate("2026-06-15")
		c := w.signIn("landlord@a.test")
		s := liveStream(t, c)
		w.setDate("2026-07-16")
		fresh := w.signIn("landlord@a.test") // signed in after the move: valid
		watcher := stream(t, fresh, client.Live)
		m := must[backend.Message](t)(fresh.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: "after the expiry"}))
		wantSessionEnded(t, waitClosed(t, s))
		if ev := next(t, watcher); ev.Message == nil || ev.Message.ID != m.ID {
			t.Errorf("a live session got %+v, want the message", ev)
		}
	})
}

// TestPortalSignOutClosesTheCookieSessionsSocket: the portal signs out with
// its cookie; that session's socket closes with 4001, while the same
// tenant's session on another device keeps receiving.
func TestPortalSignOutClosesTheCookieSessionsSocket(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	token := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
	b := browser(t)
	req, _ := http.NewRequest("POST", w.url+"/portal/i/"+token, nil)
	req.Header.Set("Origin", w.url)
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := map[string]string{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
	}
	if cookies[httpapi.SessionCookie] == "" || cookies[httpapi.CSRFCookie] == "" {
		t.Fatalf("the portal link set no cookies: %d %v", resp.StatusCode, resp.Cookies())
	}
	cookieHeader := httpapi.SessionCookie + "=" + cookies[httpapi.SessionCookie] + "; " + httpapi.CSRFCookie + "=" + cookies[httpapi.CSRFCookie]

	// The page's socket, as a browser opens it: cookie and same origin.
	page, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.url, "http")+"/api/v1/events",
		http.Header{"Cookie": {cookieHeader}, "Origin": {w.url}})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	phone := stream(t, w.asTenant("Erin"), client.Live)

	signOut, _ := http.NewRequest("POST", w.url+"/api/v1/auth/signout", nil)
	signOut.Header.Set("Cookie", cookieHeader)
	signOut.Header.Set("Origin", w.url)
	signOut.Header.Set(httpapi.CSRFHeader, cookies[httpapi.CSRFCookie])
	resp, err = http.DefaultClient.Do(signOut)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("portal sign-out: %d", resp.StatusCode)
	}
	m := must[backend.Message](t)(w.landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: "after the portal sign-out"}))

	page.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, data, err := page.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != 4001 || ce.Text != "session ended" {
				t.Errorf("the page's socket closed with %d %q, want 4001", ce.Code, ce.Text)
			}
			break
		}
		if err != nil {
			t.Fatalf("the page's socket ended without a close frame: %v", err)
		}
		if !strings.Contains(string(data), `"type":"ready"`) {
			t.Fatalf("after the portal sign-out the page's socket received %s", data)
		}
	}
	if ev := next(t, phone); ev.Message == nil || ev.Message.ID != m.ID {
		t.Errorf("the tenant's other session got %+v, want the message", ev)
	}
}

// signedOutMeanwhile is the real store with one interleaving forced: the
// session is signed out right after a request is authenticated, before the
// handler goes on.
type signedOutMeanwhile struct{ *sqlite.DB }

func (s signedOutMeanwhile) Authenticate(ctx context.Context, token string) (backend.Principal, error) {
	p, err := s.DB.Authenticate(ctx, token)
	if err == nil {
		err = s.DB.SignOut(ctx, token)
	}
	return p, err
}

// TestSignOutRacingTheConnect: a sign-out that commits between the events
// request's authentication and its subscription (when the hub cannot yet
// know the socket) still keeps the socket from opening.
func TestSignOutRacingTheConnect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(httpapi.NewServer(signedOutMeanwhile{w.db}, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.WithSession(w.signIn("landlord@a.test").Token()).Events(context.Background(), client.Live)
	if err == nil {
		s.Close()
		t.Fatal("the events socket opened for a session signed out while it connected")
	}
	wantCode(t, err, backend.EUNAUTHORIZED)
	if backend.ErrorMessage(err) != backend.SessionEndedMessage {
		t.Errorf("refusal: %v", err)
	}
}

// TestMeNamesItsSession: GET /me names the session it was asked with, the
// same each time and another for another session of the same tenant, and
// never gives the session's id or token away.
func TestMeNamesItsSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := servertest.StartDemo(t)
	first, second := s.Tenant(t, "Olivia Brown"), s.Tenant(t, "Olivia Brown")
	a, err := first.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := first.Me(ctx)
	b, _ := second.Me(ctx)
	if len(a.SessionTag) != 24 || again.SessionTag != a.SessionTag {
		t.Errorf("the same session: %q, then %q", a.SessionTag, again.SessionTag)
	}
	if b.SessionTag == "" || b.SessionTag == a.SessionTag || b.ID != a.ID {
		t.Errorf("another session of the same tenant: %q (%d), first %q (%d)", b.SessionTag, b.ID, a.SessionTag, a.ID)
	}
	if strings.Contains(first.Token(), a.SessionTag) {
		t.Error("the tag is part of the token")
	}
}
