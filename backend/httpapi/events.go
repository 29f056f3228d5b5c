package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/hub"
)

// EventStore replays a recipient's stored events.
type EventStore interface {
	// Events returns up to limit events with ids above since, oldest first,
	// or an error wrapping ErrResync when some of them are no longer kept.
	Events(ctx context.Context, p backend.Principal, since int64, limit int) ([]backend.Event, error)
	LatestEventID(ctx context.Context, p backend.Principal) (int64, error)
}

// ErrResync is what an EventStore returns when `since` is older than what
// it keeps; the sqlite store's ErrResync is the same value.
var ErrResync = backend.ErrResync

// Websocket timing and limits (as in gorilla/websocket's chat example).
const (
	writeWait      = 10 * time.Second  // to write one message
	pongWait       = 60 * time.Second  // without a pong, the peer is gone
	pingPeriod     = pongWait * 9 / 10 // must be shorter than pongWait
	maxMessageSize = 512               // clients send nothing but control frames
	sendBuffer     = 1024              // events queued for one connection before it counts as slow
	replayPage     = 500               // events read from the log at a time
	closeSlow      = 4000              // close code: too slow, resume with since
	closeShutdown  = websocket.CloseGoingAway
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	// The origin is checked before upgrading (checkOrigin), with a JSON answer.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) eventRoutes(mux *http.ServeMux) {
	s.route(mux, "/api/v1/events", map[string]http.HandlerFunc{"GET": s.authed(s.limitEvents(s.handleEvents))})
}

// checkOrigin refuses cross-site websocket hijacking: a browser page from
// another site could otherwise ride on the tenant's session cookie. Native
// clients send no Origin.
func (s *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	if s.allowedOrigins[strings.ToLower(strings.TrimRight(origin, "/"))] {
		return nil
	}
	return backend.Errorf(backend.EFORBIDDEN, "This page may not open Doorstep's event stream.")
}

// handleEvents streams the caller's events over a websocket: with
// ?since=ID, every stored event after ID first, then live ones, without gaps
// or repeats; without since, live events only. If since is older than the
// log keeps, a "resync" event (carrying the newest id) comes first.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p.Kind == backend.KindUser {
		if err := p.CanChatAsLandlord(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.checkOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	since, replay := int64(0), r.URL.Query().Has("since")
	if replay {
		n, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, backend.Errorf(backend.EINVALID, "since must be an event id (a non-negative whole number)."))
			return
		}
		since = n
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, r, backend.Errorf(backend.EINVALID, "This endpoint speaks websocket only."))
		return
	}
	// Subscribe before reading the log, so nothing published meanwhile is missed.
	sub := s.hub.Subscribe(p.Recipient(), sendBuffer)
	defer sub.Close()
	if !replay {
		latest, err := s.store.LatestEventID(r.Context(), p)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		since = latest
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.readPump(conn, cancel)
	s.writePump(ctx, conn, p, sub, since, replay)
}

// readPump reads (and discards) what the client sends, to process control
// frames: pongs move the read deadline. It cancels the connection when the
// client goes away, sends too much or stops answering pings.
func (s *Server) readPump(conn *websocket.Conn, cancel context.CancelFunc) {
	defer cancel()
	conn.SetReadLimit(maxMessageSize)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writePump is the connection's only writer: the replay, live events and pings.
func (s *Server) writePump(ctx context.Context, conn *websocket.Conn, p backend.Principal, sub *hub.Subscription, since int64, replay bool) {
	ticker := time.NewTicker(pingPeriod)
	defer ticker.Stop()
	write := func(ev backend.Event) bool {
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(ev) == nil
	}
	last := since
	if replay {
		for {
			events, err := s.store.Events(ctx, p, last, replayPage)
			if errors.Is(err, ErrResync) {
				latest, lerr := s.store.LatestEventID(ctx, p)
				if lerr != nil {
					return
				}
				if !write(backend.Event{ID: latest, Type: backend.EventResync, CreatedAt: time.Now().UTC()}) {
					return
				}
				last = latest
				break
			}
			if err != nil {
				s.logger.Error("event replay", "err", err)
				return
			}
			for _, ev := range events {
				if !write(ev) {
					return
				}
				last = ev.ID
			}
			if len(events) < replayPage {
				break
			}
		}
	}
	// Tell the client it has caught up: what follows is live.
	if !write(backend.Event{ID: last, Type: backend.EventReady, CreatedAt: time.Now().UTC()}) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, open := <-sub.C:
			if !open {
				reason := "too slow: reconnect with since=" + strconv.FormatInt(last, 10)
				code := closeSlow
				if !sub.Slow() {
					reason, code = "server shutting down", closeShutdown
				}
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
				return
			}
			if ev.ID <= last { // already sent by the replay
				continue
			}
			if !write(ev) {
				return
			}
			last = ev.ID
		case <-ticker.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		}
	}
}
