package httpapi

import (
	"net/http"

	"doorstep/backend"
)

// SignInRequest is the body of POST /api/v1/auth/signin.
type SignInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// InviteRequest is the body of POST /api/v1/auth/invite.
type InviteRequest struct {
	Token string `json:"token"`
}

// Invite is the answer of POST /api/v1/tenants/{id}/invites.
type Invite struct {
	Token string `json:"token"`
}

func (s *Server) authRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/auth/signin", map[string]http.HandlerFunc{"POST": s.handleSignIn})
	s.route(mux, "/api/v1/auth/signout", map[string]http.HandlerFunc{"POST": s.authed(s.handleSignOut)})
	s.route(mux, "/api/v1/sessions", map[string]http.HandlerFunc{"GET": s.authed(s.handleSessions)})
	s.route(mux, "/api/v1/auth/signout-everywhere", map[string]http.HandlerFunc{"POST": s.authed(s.handleSignOutEverywhere)})
	s.route(mux, "/api/v1/auth/invite", map[string]http.HandlerFunc{"POST": s.handleRedeemInvite})
	s.route(mux, "/api/v1/me", map[string]http.HandlerFunc{"GET": s.authed(s.handleMe)})
	s.route(mux, "/api/v1/me/language", map[string]http.HandlerFunc{"PUT": s.authed(s.handleSetLanguage)})
	s.route(mux, "/api/v1/tenants/{id}/invites", map[string]http.HandlerFunc{"POST": s.authed(s.limitInvites(s.handleCreateInvite))})
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req SignInRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	attempt, err := s.beginSignIn(req.Email, s.client(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.store.SignIn(r.Context(), req.Email, req.Password)
	if err = s.endSignIn(attempt, err); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.recordDevice(r, sess)
	s.writeJSON(w, r, http.StatusOK, sess)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := s.store.SignOut(r.Context(), requestToken(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	forgetCookies(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// forgetCookies has a portal browser forget its session cookies.
func forgetCookies(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" { // the portal: the browser forgets the cookies too
		for _, name := range []string{SessionCookie, CSRFCookie} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: secureRequest(r), HttpOnly: name == SessionCookie})
		}
	}
}

// recordDevice keeps the User-Agent a session signed in with, for the list
// of where its holder is signed in; failing that only costs the list a
// description, so it is logged, not answered.
func (s *Server) recordDevice(r *http.Request, sess backend.Session) {
	if err := s.store.SetSessionDevice(r.Context(), sess.Me.Session.ID, r.UserAgent()); err != nil {
		s.logger.Warn("recording a session's device", "err", err)
	}
}

// handleSessions lists where the caller is signed in, newest first, the
// session of the request marked current.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	list, err := s.store.LiveSessions(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range list {
		list[i].Current = list[i].ID == p.Session.ID
	}
	if list == nil {
		list = []backend.SessionInfo{}
	}
	s.writeJSON(w, r, http.StatusOK, list)
}

// SignedOutEverywhere answers POST /api/v1/auth/signout-everywhere.
type SignedOutEverywhere struct {
	// Ended is how many sessions ended, the caller's own included.
	Ended int `json:"ended"`
}

// handleSignOutEverywhere ends every session of the caller: a tenant who
// left the portal open on a device they no longer have. Their sockets
// close at once (the store's session end sink).
func (s *Server) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.EndAllSessions(r.Context(), principal(r.Context()))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	forgetCookies(w, r)
	s.writeJSON(w, r, http.StatusOK, SignedOutEverywhere{Ended: n})
}

func (s *Server) handleRedeemInvite(w http.ResponseWriter, r *http.Request) {
	var req InviteRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := s.beginRedeem(s.client(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.store.RedeemInvite(r.Context(), req.Token)
	s.endRedeem(limit, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.recordDevice(r, sess)
	s.writeJSON(w, r, http.StatusOK, sess)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	me, err := s.store.Me(r.Context(), requestToken(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	me.SessionTag = backend.SessionTag(principal(r.Context()).Session.ID)
	s.writeJSON(w, r, http.StatusOK, me)
}

// handleCreateInvite makes a portal link token for a tenant; only the main
// landlord user may.
func (s *Server) handleCreateInvite(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if err := p.CanChatAsLandlord(); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	token, err := s.store.CreateTenantInvite(r.Context(), p.OrgID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, Invite{Token: token})
}
