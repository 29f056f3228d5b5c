package httpapi

import (
	"net/http"

	"doorstep/backend"
)

// ReadRequest is the body of POST /api/v1/conversations/{id}/read.
type ReadRequest struct {
	Seq int64 `json:"seq"`
}

// maxQueryLength bounds a directory search.
const maxQueryLength = 200

func (s *Server) chatRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/directory", map[string]http.HandlerFunc{"GET": s.chat(s.handleDirectory)})
	s.route(mux, "/api/v1/tenants/{id}", map[string]http.HandlerFunc{"GET": s.chat(s.handleTenantRecord)})
	s.route(mux, "/api/v1/conversations", map[string]http.HandlerFunc{
		"GET":  s.chat(s.handleConversations),
		"POST": s.chat(s.handleStartConversation),
	})
	s.route(mux, "/api/v1/conversations/{id}", map[string]http.HandlerFunc{"GET": s.chat(s.handleConversation)})
	s.route(mux, "/api/v1/conversations/{id}/messages", map[string]http.HandlerFunc{
		"GET":  s.chat(s.handleMessages),
		"POST": s.chat(s.handleSend),
	})
	s.route(mux, "/api/v1/conversations/{id}/read", map[string]http.HandlerFunc{"POST": s.chat(s.handleRead)})
	s.route(mux, "/api/v1/conversations/{id}/unread", map[string]http.HandlerFunc{"POST": s.chat(s.handleUnread)})
}

// answer writes v, or err when it is set.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, status, v)
}

func (s *Server) handleDirectory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if len(q) > maxQueryLength {
		s.writeError(w, r, backend.Errorf(backend.ETOOLARGE, "Search for at most %d characters.", maxQueryLength))
		return
	}
	dir, err := s.store.Directory(r.Context(), principal(r.Context()), q)
	s.answer(w, r, http.StatusOK, dir, err)
}

func (s *Server) handleTenantRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.store.TenantRecord(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, rec, err)
}

func (s *Server) handleConversations(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Conversations(r.Context(), principal(r.Context()))
	if list == nil {
		list = []backend.Conversation{}
	}
	s.answer(w, r, http.StatusOK, list, err)
}

func (s *Server) handleStartConversation(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	// Refused before the body is even read: tenants never start chats.
	if err := p.MayStartConversation(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req backend.StartConversation
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	conv, created, err := s.store.StartConversation(r.Context(), p, req)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.answer(w, r, status, conv, err)
}

func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	conv, err := s.store.Conversation(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, conv, err)
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := messagePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, err := s.store.Messages(r.Context(), principal(r.Context()), id, page)
	s.answer(w, r, http.StatusOK, msgs, err)
}

// messagePage reads ?before=SEQ|after=SEQ&limit=N. after=0 is the start of
// the conversation, which an absent after is not (that is the newest page);
// before=0 would be the messages before the first one, which is always
// nothing, so it is refused as the mistake it must be.
func messagePage(r *http.Request) (backend.MessagePage, error) {
	var page backend.MessagePage
	before, err := queryInt(r, "before")
	if err != nil {
		return page, err
	}
	if r.URL.Query().Get("before") != "" && before == 0 {
		return page, backend.ErrBeforeNotASeq
	}
	page.Before = before
	if r.URL.Query().Get("after") != "" {
		after, err := queryInt(r, "after")
		if err != nil {
			return page, err
		}
		page.After = &after
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return page, err
	}
	page.Limit = int(min(limit, backend.MaxPageSize+1)) // too many is refused by Validate
	return page, page.Validate()
}

// handleSend answers only after the message is durably stored; a retry with
// the same key answers with the stored message.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req backend.SendMessage
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	msg, err := s.store.SendMessage(r.Context(), principal(r.Context()), id, req)
	s.answer(w, r, http.StatusCreated, msg, err)
}

func (s *Server) handleRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req ReadRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.MarkRead(r.Context(), principal(r.Context()), id, req.Seq); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUnread(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	conv, err := s.store.MarkUnread(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, conv, err)
}
