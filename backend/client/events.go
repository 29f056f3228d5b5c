package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"

	"doorstep/backend"
)

// EventStream is an open events websocket.
type EventStream struct {
	conn *websocket.Conn
}

// Live, passed as since to Events, asks for live events only.
const Live = -1

// Events opens the caller's event stream: every event after since first,
// then live ones (since = Live: live ones only). If since is older than the
// server keeps, the first event has Type backend.EventResync and the newest
// id: reload state, then carry on from that id.
func (c *Client) Events(ctx context.Context, since int64) (*EventStream, error) {
	u := *c.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path += "/api/v1/events"
	if since >= 0 {
		u.RawQuery = "since=" + strconv.FormatInt(since, 10)
	}
	h := http.Header{}
	h.Set("User-Agent", c.userAgent)
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	dialer := websocket.Dialer{HandshakeTimeout: c.http.Timeout, Proxy: http.ProxyFromEnvironment}
	conn, resp, err := dialer.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
			var e struct {
				Error backend.Error `json:"error"`
			}
			if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
				return nil, &e.Error
			}
			return nil, backend.Errorf(backend.EINVALID, "%s refused the event stream (HTTP %d).", c.BaseURL(), resp.StatusCode)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &unreachableError{server: c.BaseURL(), err: err}
	}
	conn.SetReadLimit(maxResponseBytes)
	return &EventStream{conn: conn}, nil
}

// Close codes with which the server ends an event stream (see API.md).
const (
	// CloseTooSlow: the client fell behind; reconnect with since, nothing
	// is lost.
	CloseTooSlow = backend.CloseTooSlow
	// CloseSessionEnded: the session was signed out, revoked or expired;
	// do not reconnect, sign in again.
	CloseSessionEnded = backend.CloseSessionEnded
)

// ErrStreamClosed wraps how the server ended a stream; Code tells why
// (CloseTooSlow, CloseSessionEnded, or a standard websocket code).
type ErrStreamClosed struct {
	Code   int
	Reason string
}

func (e *ErrStreamClosed) Error() string {
	return fmt.Sprintf("event stream closed by the server (%d): %s", e.Code, e.Reason)
}

// SessionEnded reports whether the stream ended because its session did.
func (e *ErrStreamClosed) SessionEnded() bool { return e.Code == CloseSessionEnded }

// Unwrap makes a session-ended close an EUNAUTHORIZED error, the same
// answer the API gives to a request with that session, so callers handle
// both in one place (backend.ErrorCode).
func (e *ErrStreamClosed) Unwrap() error {
	if e.SessionEnded() {
		return backend.Errorf(backend.EUNAUTHORIZED, "%s", backend.SessionEndedMessage)
	}
	return nil
}

// Next waits for the next event. Cancelling ctx closes the stream.
func (s *EventStream) Next(ctx context.Context) (backend.Event, error) {
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	var ev backend.Event
	_, data, err := s.conn.ReadMessage()
	if err != nil {
		if ctx.Err() != nil {
			return ev, ctx.Err()
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ev, &ErrStreamClosed{Code: ce.Code, Reason: ce.Text}
		}
		return ev, err
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("event: %w", err)
	}
	return ev, nil
}

// Close ends the stream.
func (s *EventStream) Close() error { return s.conn.Close() }
