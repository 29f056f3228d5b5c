package httpapi

import (
	"io/fs"
	"net/http"
	"path"
	"strconv"

	"doorstep/backend"
	"doorstep/backend/portal"
)

// The portal as an app a tenant installs and reads offline: its web app
// manifest, its icons and its service worker. The page itself and its
// modules are portal.go's.

// manifestType is the web app manifest's registered media type.
const manifestType = "application/manifest+json"

func (s *Server) portalAppRoutes(mux *http.ServeMux) {
	get := func(h http.HandlerFunc) map[string]http.HandlerFunc {
		return map[string]http.HandlerFunc{"GET": h, "HEAD": h}
	}
	// At /portal/, not under /portal/assets/: a worker's scope is at most
	// the folder of its script, and this one serves the whole portal.
	s.route(mux, "/portal/sw.js", get(s.handlePortalWorker))
	s.route(mux, "/portal/assets/manifest.webmanifest", get(s.handlePortalManifest))
	s.route(mux, "/portal/assets/icons/{name}", get(s.handlePortalIcon))
}

// handlePortalWorker serves the service worker with this build written in.
// no-cache: the browser asks every time whether the worker changed, so a
// new server version replaces the portal's shell at the next visit.
func (s *Server) handlePortalWorker(w http.ResponseWriter, r *http.Request) {
	writeAppFile(w, r, "text/javascript; charset=utf-8", portal.ServiceWorker())
}

func (s *Server) handlePortalManifest(w http.ResponseWriter, r *http.Request) {
	body, err := fs.ReadFile(portal.Assets, "assets/manifest.webmanifest")
	if err != nil {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
		return
	}
	writeAppFile(w, r, manifestType, body)
}

func (s *Server) handlePortalIcon(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := fs.ReadFile(portal.Assets, "assets/icons/"+name)
	if !fs.ValidPath(name) || path.Ext(name) != ".png" || err != nil {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
		return
	}
	writeAppFile(w, r, "image/png", body)
}

// writeAppFile answers with one of the portal's files, under the portal's
// content security policy; revalidated on every use, as the page is.
func writeAppFile(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", portalCSP)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
