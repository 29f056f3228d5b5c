package httpapi

import (
	"net/http"

	"doorstep/backend"
)

// attentionRoutes serve a landlord user's attention settings: quiet hours,
// emergency words and muted conversations.
func (s *Server) attentionRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/settings/attention", map[string]http.HandlerFunc{
		"GET": s.chat(s.handleAttentionSettings),
		"PUT": s.chat(s.handleSaveAttentionSettings),
	})
	s.route(mux, "/api/v1/conversations/{id}/mute", map[string]http.HandlerFunc{
		"PUT":    s.chat(s.handleMute),
		"DELETE": s.chat(s.handleUnmute),
	})
}

func (s *Server) handleAttentionSettings(w http.ResponseWriter, r *http.Request) {
	settings, err := s.store.AttentionSettings(r.Context(), principal(r.Context()))
	s.answer(w, r, http.StatusOK, settings, err)
}

func (s *Server) handleSaveAttentionSettings(w http.ResponseWriter, r *http.Request) {
	var u backend.AttentionUpdate
	if err := decodeJSON(r, &u); err != nil {
		s.writeError(w, r, err)
		return
	}
	settings, err := s.store.SaveAttentionSettings(r.Context(), principal(r.Context()), u)
	s.answer(w, r, http.StatusOK, settings, err)
}

func (s *Server) handleMute(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req backend.MuteRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	settings, err := s.store.MuteConversation(r.Context(), principal(r.Context()), id, req)
	s.answer(w, r, http.StatusOK, settings, err)
}

func (s *Server) handleUnmute(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	settings, err := s.store.UnmuteConversation(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, settings, err)
}
