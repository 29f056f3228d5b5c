package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"doorstep/backend"
)

// untimed is the HTTP client without its request timeout, for transfers of
// files: a large one on a slow line may take long, and its context bounds it.
func (c *Client) untimed() *http.Client {
	hc := *c.http
	hc.Timeout = 0
	return &hc
}

// UploadFile streams r to the server as a file called name and returns its
// record; attach it to a message with SendMessage's FileIDs.
func (c *Client) UploadFile(ctx context.Context, name string, r io.Reader) (backend.File, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", name)
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+"/api/v1/files", pr)
	if err != nil {
		return backend.File{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	c.setHeaders(req)
	var f backend.File
	err = c.sendWith(c.untimed(), req, &f)
	pr.CloseWithError(io.ErrClosedPipe) // stops the copier if the server answered early
	return f, err
}

// DownloadFile writes file id to w, checking it against the SHA-256 the
// server recorded; it returns the file's name and type from the headers.
func (c *Client) DownloadFile(ctx context.Context, id int64, w io.Writer) (name, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/files/%d", c.base, id), nil)
	if err != nil {
		return "", "", err
	}
	c.setHeaders(req)
	resp, err := c.untimed().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", &unreachableError{server: c.BaseURL(), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", c.errorFrom(resp)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), resp.Body); err != nil {
		return "", "", fmt.Errorf("download file %d: %w", id, err)
	}
	if want := strings.Trim(resp.Header.Get("ETag"), `"`); want != hex.EncodeToString(h.Sum(nil)) {
		return "", "", backend.Errorf(backend.EINVALID, "The downloaded file does not match its checksum; try again.")
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"]
	}
	return name, resp.Header.Get("Content-Type"), nil
}

// ConversationFiles lists the files shared in a conversation, newest first.
func (c *Client) ConversationFiles(ctx context.Context, convID int64) ([]backend.SharedFile, error) {
	var list []backend.SharedFile
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/files", convID), &list)
	return list, err
}

// UploadChunkSize is how much of a resumable upload goes in one request: a
// connection that breaks loses at most this much, and a stalled one is
// noticed within uploadChunkTimeout.
const UploadChunkSize = 4 << 20

// uploadChunkTimeout bounds one chunk's request (4 MB at ~23 KB/s).
const uploadChunkTimeout = 3 * time.Minute

// BeginUpload announces a resumable upload of a file: its name, exact size
// and SHA-256. Send its bytes with ContinueUpload.
func (c *Client) BeginUpload(ctx context.Context, u backend.NewUpload) (backend.Upload, error) {
	var out backend.Upload
	err := c.doJSON(ctx, http.MethodPost, "/api/v1/uploads", u, &out)
	return out, err
}

// UploadStatus tells how many bytes of an upload the server holds.
func (c *Client) UploadStatus(ctx context.Context, id string) (backend.Upload, error) {
	var out backend.Upload
	err := c.do(ctx, http.MethodGet, "/api/v1/uploads/"+url.PathEscape(id), &out)
	return out, err
}

// CancelUpload gives up an upload; the server forgets what it received.
func (c *Client) CancelUpload(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/uploads/"+url.PathEscape(id), nil)
}

// AppendUpload sends the bytes of r, which start at offset, to an upload.
// It returns the upload as the server then holds it, with File set when
// that was the last byte.
func (c *Client) AppendUpload(ctx context.Context, id string, offset int64, r io.Reader) (backend.Upload, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.base.String()+"/api/v1/uploads/"+url.PathEscape(id), r)
	if err != nil {
		return backend.Upload{}, err
	}
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	req.Header.Set("Accept", "application/json")
	c.setHeaders(req)
	var out backend.Upload
	err = c.sendWith(c.untimed(), req, &out)
	return out, err
}

// ContinueUpload sends the rest of upload id from f, which holds the whole
// file: it asks the server how much it has, seeks there and sends the rest
// in chunks, so an upload cut off by a network failure, a crash or a
// restart goes on where it stopped. progress (if not nil) is told how many
// bytes the server has after every few hundred KB.
func (c *Client) ContinueUpload(ctx context.Context, id string, f io.ReadSeeker, progress func(held int64)) (backend.File, error) {
	up, err := c.UploadStatus(ctx, id)
	if err != nil {
		return backend.File{}, err
	}
	conflicts := 0
	for up.File == nil {
		if _, err := f.Seek(up.Offset, io.SeekStart); err != nil {
			return backend.File{}, fmt.Errorf("upload: %w", err)
		}
		n := min(int64(UploadChunkSize), up.Size-up.Offset)
		var body io.Reader = io.LimitReader(f, n)
		if progress != nil {
			progress(up.Offset)
			body = &countingReader{r: body, base: up.Offset, report: progress}
		}
		cctx, cancel := context.WithTimeout(ctx, uploadChunkTimeout)
		next, err := c.AppendUpload(cctx, id, up.Offset, body)
		cancel()
		if backend.ErrorCode(err) == backend.ECONFLICT && conflicts < 5 {
			// The server is still taking in a request that was cut off on
			// this side, or holds more than we thought: ask again.
			conflicts++
			select {
			case <-ctx.Done():
				return backend.File{}, ctx.Err()
			case <-time.After(time.Duration(conflicts) * 200 * time.Millisecond):
			}
			if up, err = c.UploadStatus(ctx, id); err != nil {
				return backend.File{}, err
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return backend.File{}, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return backend.File{}, backend.Errorf(backend.EUNREACHABLE, "The upload stalled; it will go on where it stopped.")
			}
			return backend.File{}, err
		}
		if next.File == nil && next.Offset <= up.Offset {
			return backend.File{}, backend.Errorf(backend.EINTERNAL, "The server took none of the upload's bytes.")
		}
		up = next
	}
	if progress != nil {
		progress(up.Size)
	}
	return *up.File, nil
}

// countingReader reports base plus the bytes read so far, at most every
// 256 KB.
type countingReader struct {
	r      io.Reader
	base   int64
	n      int64
	last   int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n-c.last >= 256<<10 {
		c.last = c.n
		c.report(c.base + c.n)
	}
	return n, err
}
