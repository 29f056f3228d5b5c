package httpapi

import "net/http"

// FileStore keeps uploaded files. (Upload and download come with the file API.)
type FileStore interface{}

func (s *Server) fileRoutes(mux *http.ServeMux) {}
