package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
)

// testSessions: signing in opens a session that lasts backend.SessionTTL
// by the store's clock, ends at sign-out, and is told apart from a wrong
// password by nothing but success.
func testSessions(t *testing.T, w *world) {
	w.run(t, "SignIn", func(t *testing.T) {
		s := w.signIn("landlord@a.test")
		if s.Token == "" || !s.ExpiresAt.Equal(w.clock().Add(backend.SessionTTL)) {
			t.Errorf("session = %+v, want a token lasting %v", s, backend.SessionTTL)
		}
		if s.Me.Kind != backend.KindUser || s.Me.OrgID != w.orgA || s.Me.OrgName != "Maple Street Rentals" ||
			s.Me.TimeZone != "America/Chicago" || s.Me.Email != "landlord@a.test" {
			t.Errorf("me = %+v", s.Me)
		}
		p := must[backend.Principal](t)(w.s.Authenticate(w.ctx, s.Token))
		if p.ID != s.Me.ID || p.Session.ID == "" || !p.Session.ExpiresAt.Equal(s.ExpiresAt) {
			t.Errorf("authenticated as %+v", p)
		}
		if got := w.s.Now(); !got.Equal(w.clock()) {
			t.Errorf("Now = %v, want the clock's %v", got, w.clock())
		}
	})

	w.run(t, "ErrBadCredentialsAllAlike", func(t *testing.T) {
		_, wrong := w.s.SignIn(w.ctx, "landlord@a.test", "not the password")
		_, unknown := w.s.SignIn(w.ctx, "nobody@a.test", password)
		wantRefusal(t, wrong, backend.EUNAUTHORIZED, "The e-mail or password is not right.")
		wantRefusal(t, unknown, backend.EUNAUTHORIZED, "The e-mail or password is not right.")
	})

	w.run(t, "ErrUnknownToken", func(t *testing.T) {
		for _, tok := range []string{"", "no-such-token", string(make([]byte, 200))} {
			_, err := w.s.Authenticate(w.ctx, tok)
			wantRefusal(t, err, backend.EUNAUTHORIZED, "Please sign in again.")
			_, err = w.s.Me(w.ctx, tok)
			wantCode(t, err, backend.EUNAUTHORIZED)
		}
	})

	w.run(t, "SignOutEndsTheSession", func(t *testing.T) {
		s := w.signIn("landlord@a.test")
		if err := w.s.SignOut(w.ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		_, err := w.s.Authenticate(w.ctx, s.Token)
		wantCode(t, err, backend.EUNAUTHORIZED)
		if err := w.s.SignOut(w.ctx, s.Token); err != nil {
			t.Errorf("signing out twice: %v", err)
		}
		if err := w.s.SignOut(w.ctx, "no-such-token"); err != nil {
			t.Errorf("signing out an unknown token: %v", err)
		}
	})

	w.run(t, "ExpiresByTheStoresClock", func(t *testing.T) {
		s := w.signIn("landlord@a.test")
		w.advance(backend.SessionTTL - time.Second)
		must[backend.Principal](t)(w.s.Authenticate(w.ctx, s.Token))
		w.advance(time.Second)
		_, err := w.s.Authenticate(w.ctx, s.Token)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})

	w.run(t, "EndedSessions", func(t *testing.T) {
		live := w.signIn("landlord@a.test")
		out := w.signIn("landlord@a.test")
		livePrincipal := must[backend.Principal](t)(w.s.Authenticate(w.ctx, live.Token))
		outPrincipal := must[backend.Principal](t)(w.s.Authenticate(w.ctx, out.Token))
		if err := w.s.SignOut(w.ctx, out.Token); err != nil {
			t.Fatal(err)
		}
		ids := []string{livePrincipal.Session.ID, outPrincipal.Session.ID, "00ff", "not hex at all"}
		ended := must[[]string](t)(w.s.EndedSessions(w.ctx, ids))
		slices.Sort(ended)
		want := []string{outPrincipal.Session.ID, "00ff", "not hex at all"}
		slices.Sort(want)
		if !slices.Equal(ended, want) {
			t.Errorf("ended = %q, want %q", ended, want)
		}
		w.advance(backend.SessionTTL)
		if ended := must[[]string](t)(w.s.EndedSessions(w.ctx, ids[:1])); len(ended) != 1 {
			t.Errorf("an expired session is not ended: %q", ended)
		}
	})
}

// testInvites: an invite opens one tenant session, once, within
// backend.InviteTTL, and only for a tenant of the organisation.
func testInvites(t *testing.T, w *world) {
	w.run(t, "RedeemedOnce", func(t *testing.T) {
		tok := must[string](t)(w.s.CreateTenantInvite(w.ctx, w.orgA, w.tenants["Alice"]))
		s := must[backend.Session](t)(w.s.RedeemInvite(w.ctx, tok))
		if s.Me.Kind != backend.KindTenant || s.Me.ID != w.tenants["Alice"] || s.Me.Name != "Alice" || s.Me.OrgName != "Maple Street Rentals" {
			t.Errorf("tenant session = %+v", s.Me)
		}
		_, err := w.s.RedeemInvite(w.ctx, tok)
		wantRefusal(t, err, backend.EUNAUTHORIZED, "This link has expired or was already used. Ask your landlord for a new one.")
	})

	w.run(t, "ErrExpired", func(t *testing.T) {
		tok := must[string](t)(w.s.CreateTenantInvite(w.ctx, w.orgA, w.tenants["Bob"]))
		w.advance(backend.InviteTTL)
		_, err := w.s.RedeemInvite(w.ctx, tok)
		wantCode(t, err, backend.EUNAUTHORIZED)
	})

	w.run(t, "ErrTenantOfAnotherOrganisation", func(t *testing.T) {
		_, err := w.s.CreateTenantInvite(w.ctx, w.orgB, w.tenants["Alice"])
		wantRefusal(t, err, backend.ENOTFOUND, "There is no such tenant.")
	})
}

// testSignOutEverywhere: the host's lever ends every live session of the
// people with an e-mail address, and says whose.
func testSignOutEverywhere(t *testing.T, w *world) {
	ended := make(chan []string, 10)
	w.s.SetSessionEndSink(func(ids ...string) { ended <- ids })
	first, second := w.signIn("landlord@a.test"), w.signIn("landlord@a.test")
	alice := w.tenantSession("Alice")

	people := must[[]backend.SignedOut](t)(w.s.SignOutEverywhere(w.ctx, "Landlord@A.test"))
	if len(people) != 1 || people[0].Kind != backend.KindUser || people[0].Sessions < 2 || people[0].OrgName != "Maple Street Rentals" {
		t.Errorf("signed out %+v", people)
	}
	for _, s := range []backend.Session{first, second} {
		_, err := w.s.Authenticate(w.ctx, s.Token)
		wantCode(t, err, backend.EUNAUTHORIZED)
	}
	if got := receive(t, ended, "the session end sink"); len(got) != people[0].Sessions {
		t.Errorf("the sink heard of %d sessions, want %d", len(got), people[0].Sessions)
	}
	must[backend.Principal](t)(w.s.Authenticate(w.ctx, alice.Token))

	_, err := w.s.SignOutEverywhere(w.ctx, "nobody@a.test")
	wantRefusal(t, err, backend.ENOTFOUND, "No landlord user or tenant has the e-mail address nobody@a.test.")
	_, err = w.s.SignOutEverywhere(w.ctx, " ")
	wantCode(t, err, backend.EINVALID)
}

// testEndAllSessions: a tenant signing out everywhere ends each of their
// live sessions, this one included, and no one else's.
func testEndAllSessions(t *testing.T, w *world) {
	ended := make(chan []string, 10)
	w.s.SetSessionEndSink(func(ids ...string) { ended <- ids })
	phone, laptop := w.tenantSession("Alice"), w.tenantSession("Alice")
	bob := w.tenantSession("Bob")
	landlord := w.signIn("landlord@a.test")

	n, err := w.s.EndAllSessions(w.ctx, phone.Me.Principal)
	if err != nil || n != 2 {
		t.Fatalf("ended %d, %v; want Alice's 2", n, err)
	}
	for _, s := range []backend.Session{phone, laptop} {
		_, err := w.s.Authenticate(w.ctx, s.Token)
		wantCode(t, err, backend.EUNAUTHORIZED)
	}
	got := receive(t, ended, "the session end sink")
	slices.Sort(got)
	want := []string{phone.Me.Session.ID, laptop.Me.Session.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the sink heard of %v, want %v", got, want)
	}
	must[backend.Principal](t)(w.s.Authenticate(w.ctx, bob.Token))
	must[backend.Principal](t)(w.s.Authenticate(w.ctx, landlord.Token))
	if n := must[int](t)(w.s.EndAllSessions(w.ctx, phone.Me.Principal)); n != 0 {
		t.Errorf("ended %d again", n)
	}
}

// testLiveSessions: a person's live sessions, newest first, each with the
// device it signed in from; ended ones and other people's are not listed.
func testLiveSessions(t *testing.T, w *world) {
	phone := w.tenantSession("Alice")
	w.advance(time.Minute)
	laptop := w.tenantSession("Alice")
	w.advance(time.Minute)
	gone := w.tenantSession("Alice")
	w.tenantSession("Bob")
	const android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
	if err := w.s.SetSessionDevice(w.ctx, phone.Me.Session.ID, android+strings.Repeat("x", 1000)); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SetSessionDevice(w.ctx, laptop.Me.Session.ID, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SetSessionDevice(w.ctx, "not a session", "x"); err != nil {
		t.Errorf("an unknown session: %v", err)
	}
	if err := w.s.SignOut(w.ctx, gone.Token); err != nil {
		t.Fatal(err)
	}
	got := must[[]backend.SessionInfo](t)(w.s.LiveSessions(w.ctx, phone.Me.Principal))
	if len(got) != 2 || got[0].ID != laptop.Me.Session.ID || got[0].Device != "Firefox on Windows" ||
		got[1].ID != phone.Me.Session.ID || got[1].Device != "Chrome on Android" || !got[1].StartedAt.Equal(w.clock().Add(-2*time.Minute)) {
		t.Errorf("live sessions = %+v", got)
	}
}
