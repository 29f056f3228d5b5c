package httpapi

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"doorstep/backend"
	"doorstep/backend/filestore"
)

// Resumable uploads: POST /api/v1/uploads announces a file (name, size,
// SHA-256); PATCH /api/v1/uploads/{id} sends bytes from Upload-Offset on,
// as many times as it takes; GET tells how many bytes the server holds, so
// a client cut off midway goes on from there instead of from the start.
// The last byte turns the upload into a file, as POST /api/v1/files does.

// offsetHeader names the byte a PATCH body starts at.
const offsetHeader = "Upload-Offset"

// uploadContentType is the type of a PATCH body: raw bytes.
const uploadContentType = "application/offset+octet-stream"

func (s *Server) uploadRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/uploads", map[string]http.HandlerFunc{"POST": s.chat(s.limitUploads(s.handleBeginUpload))})
	s.route(mux, "/api/v1/uploads/{id}", map[string]http.HandlerFunc{
		"GET":    s.chat(s.handleUploadStatus),
		"PATCH":  s.chat(s.handleAppendUpload),
		"DELETE": s.chat(s.handleCancelUpload),
	})
}

// uploadOwner names who may continue an upload: only whoever began it.
func uploadOwner(p backend.Principal) string {
	return fmt.Sprintf("%s:%d:%d", p.Kind, p.OrgID, p.ID)
}

func uploadOf(p filestore.Partial) backend.Upload {
	return backend.Upload{ID: p.ID, Offset: p.Offset, Size: p.Size}
}

func (s *Server) handleBeginUpload(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if !s.mayUpload(w, r) {
		return
	}
	var req backend.NewUpload
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	partial, err := s.files.BeginPartial(uploadOwner(p), req.Name, req.Size, req.SHA256)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, uploadOf(partial))
}

func (s *Server) handleUploadStatus(w http.ResponseWriter, r *http.Request) {
	if !s.keepsFiles(w, r) {
		return
	}
	partial, err := s.files.Partial(uploadOwner(principal(r.Context())), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, uploadOf(partial))
}

func (s *Server) handleAppendUpload(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	// Checked again on every request: a lease may have ended meanwhile.
	if !s.mayUpload(w, r) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != uploadContentType {
		s.writeError(w, r, backend.Errorf(backend.EINVALID, "Send the bytes as %s.", uploadContentType))
		return
	}
	offset, err := strconv.ParseInt(r.Header.Get(offsetHeader), 10, 64)
	if err != nil || offset < 0 {
		s.writeError(w, r, backend.Errorf(backend.EINVALID, "Say where the bytes start with the %s header.", offsetHeader))
		return
	}
	owner := uploadOwner(p)
	partial, saved, done, err := s.files.Append(owner, r.PathValue("id"), offset, r.Body)
	if err != nil {
		if errors.Is(err, filestore.ErrReceive) {
			// Cut off midway: what arrived is kept; the client asks for
			// the offset and goes on. (A full disk is unavailable too, with
			// its own sentence, from the store.)
			err = backend.Errorf(backend.EUNAVAILABLE, "The upload was cut off after %d bytes; continue from there.", partial.Offset)
		}
		s.writeError(w, r, err)
		return
	}
	if !done {
		s.writeJSON(w, r, http.StatusOK, uploadOf(partial))
		return
	}
	f, err := s.store.CreateFile(r.Context(), p, backend.NewFile{Name: partial.Name, Size: saved.Size,
		SHA256: saved.SHA256, ContentType: saved.ContentType, StorageName: saved.StorageName})
	if err != nil {
		s.files.Remove(saved.StorageName)
		s.writeError(w, r, err)
		return
	}
	up := uploadOf(partial)
	up.File = &f
	s.writeJSON(w, r, http.StatusCreated, up)
}

func (s *Server) handleCancelUpload(w http.ResponseWriter, r *http.Request) {
	if !s.keepsFiles(w, r) {
		return
	}
	if err := s.files.RemovePartial(uploadOwner(principal(r.Context())), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// keepsFiles answers (and returns false) when the server keeps no files.
func (s *Server) keepsFiles(w http.ResponseWriter, r *http.Request) bool {
	if s.files == nil {
		s.writeError(w, r, backend.Errorf(backend.EUNAVAILABLE, "This server does not accept files."))
		return false
	}
	return true
}

// mayUpload answers (and returns false) when the server keeps no files or
// the caller may not upload: a sub-user, or a tenant whose lease ended.
func (s *Server) mayUpload(w http.ResponseWriter, r *http.Request) bool {
	if !s.keepsFiles(w, r) {
		return false
	}
	if err := s.store.CanUpload(r.Context(), principal(r.Context())); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}
