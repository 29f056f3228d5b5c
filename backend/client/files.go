package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"doorstep/backend"
)

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
	err = c.send(req, &f)
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
	hc := *c.http
	hc.Timeout = 0 // a large file on a slow line may take long; ctx bounds it
	resp, err := hc.Do(req)
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
