package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"doorstep/backend"
	"doorstep/backend/filename"
	"doorstep/backend/filestore"
)

// WithFiles sets where uploaded files are kept (on disk, or in a store
// every server node reads); without it uploads are refused.
func WithFiles(fs filestore.Files) Option { return func(s *Server) { s.files = fs } }

// inlineTypes may be shown in place (image previews); everything else is
// served as a download.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// multipartSlack is what a multipart envelope may add to a file's bytes.
const multipartSlack = 64 << 10

// drainLimit bounds what the server reads, and throws away, of an upload it
// refuses as too large. A reverse proxy such as nginx sends the whole body
// before it reads the answer: with the rest of the body left unread, the
// connection is reset under it and the client gets 502 instead of the
// refusal. 64 MB is above the body limits of the proxy configurations in
// docs/deploy.md (30 MB); the connection of a larger body is closed.
const drainLimit = 64 << 20

// refuseUpload answers an upload's refusal; one refused as too large has
// the rest of its body read first (from body, the request's own under any
// limit's reader), up to drainLimit, so that the answer reaches a proxy
// that reads it only once it has sent everything.
func (s *Server) refuseUpload(w http.ResponseWriter, r *http.Request, body io.Reader, err error) {
	if backend.ErrorCode(err) == backend.ETOOLARGE && r.ContentLength <= drainLimit {
		io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	}
	s.writeError(w, r, err)
}

func (s *Server) fileRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/files", map[string]http.HandlerFunc{"POST": s.chat(s.limitUploads(s.handleUpload))})
	s.route(mux, "/api/v1/files/{id}", map[string]http.HandlerFunc{"GET": s.chat(s.handleDownload)})
	s.route(mux, "/api/v1/conversations/{id}/files", map[string]http.HandlerFunc{"GET": s.chat(s.handleConversationFiles)})
}

// handleUpload streams one multipart part named "file" to disk; the name is
// sanitised and the type sniffed from the content.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if !s.mayUpload(w, r) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		s.writeError(w, r, backend.Errorf(backend.EINVALID, "Send the file as multipart/form-data with a part named \"file\"."))
		return
	}
	body := r.Body
	if r.ContentLength > s.files.MaxSize()+multipartSlack {
		s.refuseUpload(w, r, body, backend.Errorf(backend.ETOOLARGE, "Files can be at most %d MB.", s.files.MaxSize()>>20))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.files.MaxSize()+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.writeError(w, r, backend.Errorf(backend.EINVALID, "Send the file as multipart/form-data with a part named \"file\"."))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.writeError(w, r, backend.Errorf(backend.EINVALID, "The upload has no part named \"file\"."))
			return
		}
		if err != nil {
			s.refuseUpload(w, r, body, receiveError(err, s.files.MaxSize()))
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		saved, err := s.files.Save(part)
		if errors.Is(err, filestore.ErrReceive) {
			err = receiveError(err, s.files.MaxSize())
		}
		if err != nil { // else the disk's side: unavailable when it is full, say
			s.refuseUpload(w, r, body, err)
			return
		}
		f, err := s.store.CreateFile(r.Context(), p, backend.NewFile{Name: filename.Safe(part.FileName()), Size: saved.Size,
			SHA256: saved.SHA256, ContentType: saved.ContentType, StorageName: saved.StorageName})
		if err != nil {
			s.files.Remove(saved.StorageName)
			s.writeError(w, r, err)
			return
		}
		s.writeJSON(w, r, http.StatusCreated, f)
		return
	}
}

// receiveError answers a failure to read an upload's body, which is on the
// client's side: too large, or cut off or malformed. Failures to write it
// are not (see handleUpload).
func receiveError(err error, max int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return backend.Errorf(backend.ETOOLARGE, "Files can be at most %d MB.", max>>20)
	}
	return backend.Errorf(backend.EINVALID, "The upload was cut off or malformed.")
}

// handleDownload serves a file as an attachment (inline only for image
// types a browser shows safely), never sniffed, with its hash as the ETag.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, storage, err := s.store.FileForDownload(r.Context(), principal(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.files == nil {
		s.writeError(w, r, backend.Errorf(backend.EUNAVAILABLE, "This server does not keep files."))
		return
	}
	file, err := s.files.Open(storage)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("open stored file %d: %w", f.ID, err))
		return
	}
	defer file.Close()
	disposition, ctype := "attachment", "application/octet-stream"
	if base, _, _ := strings.Cut(f.ContentType, ";"); inlineTypes[base] {
		disposition, ctype = "inline", base
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, asciiName(f.Name), url.PathEscape(f.Name)))
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", f.CreatedAt, file)
}

// asciiName is the fallback filename for old clients: ASCII, no quotes.
func asciiName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
}

func (s *Server) handleConversationFiles(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.store.ConversationFiles(r.Context(), principal(r.Context()), id)
	s.answer(w, r, http.StatusOK, list, err)
}
