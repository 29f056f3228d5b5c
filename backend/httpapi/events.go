package httpapi

import "net/http"

// EventStore replays events. (The websocket comes with the events API.)
type EventStore interface{}

func (s *Server) eventRoutes(mux *http.ServeMux) {}
