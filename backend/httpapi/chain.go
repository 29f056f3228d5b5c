package httpapi

import (
	"net/http"

	"doorstep/backend"
)

func (s *Server) chainRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/server-key", map[string]http.HandlerFunc{"GET": s.handleServerKey})
	s.route(mux, "/api/v1/conversations/{id}/chain-head", map[string]http.HandlerFunc{"POST": s.chat(s.handleChainHead)})
}

// handleServerKey is the server's public signing key, for anyone: it is
// what a signed head is checked against, by people who may hold an export
// but no account.
func (s *Server) handleServerKey(w http.ResponseWriter, r *http.Request) {
	key, err := s.store.ServerKey(r.Context())
	s.answer(w, r, http.StatusOK, key, err)
}

// handleChainHead signs a conversation's head as it is now (main landlord
// only). A history that no longer matches its chain is refused and logged
// with where it broke, for the server's administrator.
func (s *Server) handleChainHead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	signed, err := s.store.SignChainHead(r.Context(), principal(r.Context()), id)
	if backend.ErrorCode(err) == backend.ECONFLICT {
		s.logger.Error("chain: not signing a history that no longer holds", "conversation", id, "err", err)
	}
	s.answer(w, r, http.StatusOK, signed, err)
}
