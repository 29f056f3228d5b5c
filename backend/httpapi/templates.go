package httpapi

import (
	"net/http"

	"doorstep/backend"
)

// templateRoutes serve the organisation's message templates, to the main
// landlord user only (s.chat refuses a sub-user, the store a tenant).
func (s *Server) templateRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/templates", map[string]http.HandlerFunc{
		"GET":  s.chat(s.handleTemplates),
		"POST": s.chat(s.handleCreateTemplate),
	})
	s.route(mux, "/api/v1/templates/{id}", map[string]http.HandlerFunc{
		"PUT":    s.chat(s.handleUpdateTemplate),
		"DELETE": s.chat(s.handleDeleteTemplate),
	})
}

func (s *Server) handleTemplates(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Templates(r.Context(), principal(r.Context()))
	s.answer(w, r, http.StatusOK, list, err)
}

func (s *Server) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	var d backend.TemplateDraft
	if err := decodeJSON(r, &d); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.store.CreateTemplate(r.Context(), principal(r.Context()), d)
	s.answer(w, r, http.StatusCreated, t, err)
}

func (s *Server) handleUpdateTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var d backend.TemplateDraft
	if err := decodeJSON(r, &d); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.store.UpdateTemplate(r.Context(), principal(r.Context()), id, d)
	s.answer(w, r, http.StatusOK, t, err)
}

func (s *Server) handleDeleteTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteTemplate(r.Context(), principal(r.Context()), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
