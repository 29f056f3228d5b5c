// Package client is the Go client of the Doorstep server API. The desktop app
// uses it for every call; tests use it against the real server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"doorstep/backend"
)

// maxResponseBytes bounds what the client reads of one JSON answer, so a
// misbehaving server cannot exhaust the desktop's memory.
const maxResponseBytes = 8 << 20

// Client talks to one Doorstep server.
type Client struct {
	base      *url.URL
	http      *http.Client
	userAgent string
	token     string // session token, sent as "Authorization: Bearer"
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (10 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithToken makes the client act for the session with this token.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithUserAgent names the program making the calls, for the server's log.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// ParseServerURL checks a server address as a landlord may type it and
// returns it in canonical form: http or https, a host, no query or fragment,
// no trailing slash.
func ParseServerURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, backend.Errorf(backend.EINVALID,
			"%q is not a server address; use the form http://host:port or https://host.", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, backend.Errorf(backend.EINVALID,
			"The server address %q must not contain a user name, a query or a fragment.", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// New returns a client for the server at baseURL (see ParseServerURL).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := ParseServerURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      u,
		http:      &http.Client{Timeout: 10 * time.Second},
		userAgent: "doorstep-client/" + backend.Version,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server address in canonical form.
func (c *Client) BaseURL() string { return c.base.String() }

// Token is the session token the client sends (empty when signed out).
func (c *Client) Token() string { return c.token }

// WithSession returns a copy of the client acting for the session token.
func (c *Client) WithSession(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// setHeaders adds what every request carries: the client's name and the
// session token.
func (c *Client) setHeaders(req *http.Request) {
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// Health asks the server whether it can serve. A server that answers but
// is not healthy gives an EUNAVAILABLE error; one that cannot be reached gives
// EUNREACHABLE; something that is not a Doorstep server gives EINVALID.
func (c *Client) Health(ctx context.Context) (backend.Health, error) {
	var h backend.Health
	if err := c.do(ctx, http.MethodGet, "/healthz", &h); err != nil {
		return backend.Health{}, err
	}
	if h.Service != backend.ServiceName {
		return backend.Health{}, backend.Errorf(backend.EINVALID,
			"%s answered, but it is not a Doorstep server.", c.BaseURL())
	}
	return h, nil
}

// do sends a request and decodes a JSON answer into out. Error answers
// become *backend.Error with the server's code and message.
func (c *Client) do(ctx context.Context, method, path string, out any) error {
	return c.doJSON(ctx, method, path, nil, out)
}

// doJSON sends in (if not nil) as a JSON body and decodes the answer into
// out (if not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var reqBody io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: encode %s %s: %w", method, path, err)
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, reqBody)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.setHeaders(req)
	return c.send(req, out)
}

// send performs req and decodes a JSON answer into out (if not nil).
func (c *Client) send(req *http.Request, out any) error {
	return c.sendWith(c.http, req, out)
}

// sendWith is send through hc (one without the default timeout, for long
// transfers that their context bounds instead).
func (c *Client) sendWith(hc *http.Client, req *http.Request, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return req.Context().Err()
		}
		return &unreachableError{server: c.BaseURL(), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return c.errorFrom(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return &unreachableError{server: c.BaseURL(), err: err}
	}
	if len(body) > maxResponseBytes {
		return backend.Errorf(backend.ETOOLARGE, "The server's answer to %s is larger than %d bytes.", req.URL.Path, maxResponseBytes)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return backend.Errorf(backend.EINVALID, "%s answered, but it is not a Doorstep server (its answer to %s is not Doorstep JSON).", c.BaseURL(), req.URL.Path)
	}
	return nil
}

// errorFrom turns an error answer into the server's *backend.Error, or a
// coded error saying what came back instead.
func (c *Client) errorFrom(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	var e struct {
		Error backend.Error `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		if e.Error.RetryAfter == 0 {
			e.Error.RetryAfter = retryAfterSeconds(resp.Header.Get("Retry-After"))
		}
		return &e.Error
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &backend.Error{Code: backend.ERATELIMITED, Message: "The server is getting too many requests; try again in a moment.",
			RetryAfter: retryAfterSeconds(resp.Header.Get("Retry-After"))}
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		// /healthz says why in its own shape: pass the reason on.
		var h backend.Health
		var why []string
		if json.Unmarshal(body, &h) == nil && h.Service == backend.ServiceName {
			for _, r := range []string{h.Database, h.Files} {
				if r != "" && r != "ok" {
					why = append(why, r)
				}
			}
		}
		if len(why) > 0 {
			return backend.Errorf(backend.EUNAVAILABLE, "The server at %s is running but cannot serve right now: %s.", c.BaseURL(), strings.Join(why, "; "))
		}
		return backend.Errorf(backend.EUNAVAILABLE, "The server at %s is running but cannot serve right now.", c.BaseURL())
	}
	return backend.Errorf(backend.EINVALID, "%s answered HTTP %d to %s; it is not a Doorstep server, or not a compatible one.",
		c.BaseURL(), resp.StatusCode, resp.Request.URL.Path)
}

// retryAfterSeconds reads a Retry-After header given in seconds (the form
// the Doorstep server sends); anything else counts as 0.
func retryAfterSeconds(h string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// unreachableError is an EUNREACHABLE *backend.Error that keeps the network
// error underneath for logs and errors.Is.
type unreachableError struct {
	server string
	err    error
}

func (e *unreachableError) Error() string { return fmt.Sprintf("%s: %v", backend.EUNREACHABLE, e.err) }
func (e *unreachableError) Unwrap() []error {
	return []error{e.err, backend.Errorf(backend.EUNREACHABLE, "The server at %s cannot be reached.", e.server)}
}
