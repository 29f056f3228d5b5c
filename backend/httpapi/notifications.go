package httpapi

import (
	"net/http"
)

func (s *Server) notificationRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/conversations/{id}/notifications", map[string]http.HandlerFunc{"GET": s.chat(s.handleNotifications)})
}

// handleNotifications is a conversation's delivery log (main landlord only).
func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.store.ConversationNotifications(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, list, err)
}
