package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/hub"
)

// ErrResync is what a backend.EventLog returns when `since` is older than
// what it keeps; the sqlite store's ErrResync is the same value.
var ErrResync = backend.ErrResync

// Websocket timing and limits (as in gorilla/websocket's chat example).
const (
	writeWait      = 10 * time.Second          // to write one message
	pongWait       = 60 * time.Second          // without a pong, the peer is gone
	pingPeriod     = pongWait * 9 / 10         // must be shorter than pongWait
	maxMessageSize = 512                       // clients send nothing but control frames
	sendQueue      = 1024                      // events queued for one connection before it counts as slow
	replayPage     = 500                       // events read from the log at a time
	closeSlow      = backend.CloseTooSlow      // resume with since
	closeEnded     = backend.CloseSessionEnded // sign in again
	closeShutdown  = websocket.CloseGoingAway
)

// SessionCheckPeriod (plus one quick query) bounds how long a socket
// outlives a session that ended out of this process's sight: revoked by
// another process on the same database (`doorstep-server sign-out`), or
// expired by a clock that jumped. Sign-out through this server closes the
// session's sockets at once (the store tells the hub after its commit), and
// expiry is caught by a timer and by a check before every write; this is the
// net under both. Until then the socket may stay open, but no event is
// written to it after its expiry.
//
// One query every period for all sessions with open sockets, rather than
// re-validating each socket on its own ticker: the cost does not grow with
// the number of connections, and every end reaches the sockets the same way
// (Hub.EndSessions).
const SessionCheckPeriod = 2 * time.Second

// upgrader leaves the buffer sizes at zero so that the websocket reads and
// writes through the 4 KB buffers net/http already gave the connection:
// they stay allocated while the handler runs (the whole life of the
// websocket), so buffers of the websocket's own would only come on top, for
// every idle connection.
var upgrader = websocket.Upgrader{
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
	if err := p.MayChat(); err != nil {
		s.writeError(w, r, err)
		return
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
	sub := s.hub.Subscribe(p.Recipient(), p.Session.ID, sendQueue)
	defer sub.Close()
	// A sign-out that committed between authentication and Subscribe told
	// the hub before this subscription existed: look once more now. One
	// that commits later finds the subscription.
	if ended, err := s.store.EndedSessions(r.Context(), []string{p.Session.ID}); err != nil {
		s.writeError(w, r, err)
		return
	} else if len(ended) > 0 {
		s.writeError(w, r, backend.Errorf(backend.EUNAUTHORIZED, "%s", backend.SessionEndedMessage))
		return
	}
	s.watchSessions()
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
	websocketMemory.opened()
	defer websocketMemory.closed()

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

// writePump is the connection's only writer: the replay, live events and
// pings. It writes no event once the session has ended (signed out, revoked
// or expired, whichever it learns of first), not even one already
// buffered: it closes the socket with CloseSessionEnded instead.
func (s *Server) writePump(ctx context.Context, conn *websocket.Conn, p backend.Principal, sub *hub.Subscription, since int64, replay bool) {
	w := &pump{s: s, conn: conn, p: p, sub: sub, last: since}
	if replay && !w.replay(ctx) {
		return
	}
	// Tell the client it has caught up: what follows is live.
	if !w.write(hub.NewFrame(backend.Event{ID: w.last, Type: backend.EventReady, CreatedAt: time.Now().UTC()})) {
		return
	}
	w.live(ctx)
}

// pump is one connection's writer: what it has sent, and the session it
// writes for.
type pump struct {
	s    *Server
	conn *websocket.Conn
	p    backend.Principal
	sub  *hub.Subscription
	last int64 // the id of the last event written
}

// ended reports whether the connection's session is over: signed out or
// revoked (the hub says so), or expired by the store's clock.
func (w *pump) ended() bool { return w.sub.SessionEnded() || w.p.Session.Ended(w.s.store.Now()) }

func (w *pump) closeWith(code int, reason string) {
	w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
}

// write sends one event, unless the session has ended: then it closes the
// socket and reports false, as for a failed write.
func (w *pump) write(f hub.Frame) bool {
	if w.ended() {
		w.closeWith(closeEnded, backend.CloseReasonSessionEnded)
		return false
	}
	buf := scratch.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxScratch {
			scratch.Put(buf)
		}
	}()
	var err error
	if *buf, err = f.AppendJSON((*buf)[:0]); err != nil {
		w.s.logger.Error("encoding an event", "type", f.Type(), "err", err)
		return false
	}
	w.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if w.conn.WriteMessage(websocket.TextMessage, *buf) != nil {
		return false
	}
	if f.Type() != backend.EventReady {
		w.last = f.ID
	}
	return true
}

// scratch holds the buffers events are encoded into on their way to a
// websocket: a few for all connections, rather than one per connection.
// A sync.Pool lets the GC take them back when the server is quiet.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// maxScratch is the largest buffer kept for the next event: a rare large
// event (the whole template list) is not kept around.
const maxScratch = 64 << 10

// replay writes the stored events after w.last, page by page, or a resync
// event with the newest id when they are no longer kept. It reports
// whether the connection goes on.
func (w *pump) replay(ctx context.Context) bool {
	for {
		events, err := w.s.store.Events(ctx, w.p, w.last, replayPage)
		if errors.Is(err, ErrResync) {
			latest, err := w.s.store.LatestEventID(ctx, w.p)
			return err == nil && w.write(hub.NewFrame(backend.Event{ID: latest, Type: backend.EventResync, CreatedAt: time.Now().UTC()}))
		}
		if err != nil {
			w.s.logger.Error("event replay", "err", err)
			return false
		}
		for _, ev := range events {
			if !w.write(hub.NewFrame(ev)) {
				return false
			}
		}
		if len(events) < replayPage {
			return true
		}
	}
}

// live writes events as the hub delivers them, pings, and ends the
// connection when the session expires or the subscription ends.
func (w *pump) live(ctx context.Context) {
	ticker := time.NewTicker(pingPeriod)
	defer ticker.Stop()
	// The store's clock decides expiry; the timer wakes the pump when that
	// clock should reach it, and is checked again then (the clock may be
	// another than the wall's).
	expiry := time.NewTimer(w.p.Session.ExpiresAt.Sub(w.s.store.Now()))
	defer expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.sub.Wake():
			for _, f := range w.sub.Take() {
				if !w.deliver(ctx, f) {
					return
				}
			}
			if w.sub.Reason() != hub.Open {
				// What was queued before the end still goes out first
				// (unless the session is what ended: write sends nothing then).
				for _, f := range w.sub.Take() {
					if !w.deliver(ctx, f) {
						return
					}
				}
				w.closeForEndedSubscription()
				return
			}
		case <-expiry.C:
			if w.ended() {
				w.closeWith(closeEnded, backend.CloseReasonSessionEnded)
				return
			}
			// Early by the store's clock (set back, or not the wall's):
			// wait again, never in a tight loop.
			expiry.Reset(max(w.p.Session.ExpiresAt.Sub(w.s.store.Now()), 100*time.Millisecond))
		case <-ticker.C:
			if w.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		}
	}
}

// deliver writes a live event, unless the replay has sent it already, and
// reads the log first if an event before it is missing. It reports whether
// the connection goes on.
func (w *pump) deliver(ctx context.Context, f hub.Frame) bool {
	if f.ID <= w.last { // already sent by the replay
		return true
	}
	// An event whose predecessor this stream has not written: that one
	// was stored but never passed on (its node died in between). It is in
	// the log: read the log up to here first.
	if f.Prev > w.last {
		if !w.replay(ctx) {
			return false
		}
		if f.ID <= w.last {
			return true
		}
	}
	return w.write(f)
}

// closeForEndedSubscription tells the client why the hub ended its
// subscription, with the close code that says what to do next.
func (w *pump) closeForEndedSubscription() {
	switch {
	case w.sub.Slow():
		w.closeWith(closeSlow, "too slow: reconnect with since="+strconv.FormatInt(w.last, 10))
	case w.sub.SessionEnded():
		w.closeWith(closeEnded, backend.CloseReasonSessionEnded)
	default:
		w.closeWith(closeShutdown, "server shutting down")
	}
}

// watchSessions makes sure the session check runs while sockets are open.
// It stops by itself once none is left, so a server that is only built (in
// tests, or before Serve) has no goroutine running.
func (s *Server) watchSessions() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watching {
		return
	}
	s.watching = true
	go s.checkSessions()
}

// checkSessions ends, every SessionCheckPeriod, the sockets of sessions the
// store says have ended.
func (s *Server) checkSessions() {
	ticker := time.NewTicker(SessionCheckPeriod)
	defer ticker.Stop()
	for range ticker.C {
		// Under watchMu, so a socket that subscribes meanwhile either is
		// seen here or starts a new check.
		s.watchMu.Lock()
		ids := s.hub.Sessions()
		if len(ids) == 0 {
			s.watching = false
			s.watchMu.Unlock()
			return
		}
		s.watchMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), SessionCheckPeriod)
		ended, err := s.store.EndedSessions(ctx, ids)
		cancel()
		if err != nil {
			s.logger.Error("checking sessions of open sockets", "err", err)
			continue
		}
		s.hub.EndSessions(ended...)
	}
}

// When most websockets close at once (the clients' network went away, or a
// storm of reconnections is over), what they held is garbage the runtime
// does not collect, nor hand back to the system, until it next collects: a
// server gone quiet does so only every two minutes, and returns the memory
// slowly after that. So once the open websockets have fallen below half of
// their peak, by at least releaseMinDrop, and are still that low
// releaseAfter later (clients that reconnect at once are back by then, and
// would only need the memory again), the server collects and returns its
// free memory to the system at once.
const (
	releaseMinDrop = 1000
	releaseAfter   = 5 * time.Second
)

// websocketMemory counts the process's websockets: the memory they hold is
// the process's, whichever Server they belong to.
var websocketMemory = &memoryReturn{minDrop: releaseMinDrop, after: releaseAfter, release: debug.FreeOSMemory}

// memoryReturn decides when to hand memory back after websockets close.
type memoryReturn struct {
	minDrop int
	after   time.Duration
	release func()

	mu      sync.Mutex
	open    int
	peak    int  // the most open since the last release
	pending bool // a check is due after `after`
}

func (m *memoryReturn) opened() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.open++
	m.peak = max(m.peak, m.open)
}

func (m *memoryReturn) closed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.open--
	if m.dropped() && !m.pending {
		m.pending = true
		time.AfterFunc(m.after, m.check)
	}
}

// dropped reports whether the websockets have fallen far enough from
// their peak for a release; m.mu must be held.
func (m *memoryReturn) dropped() bool { return m.peak-m.open >= m.minDrop && m.open < m.peak/2 }

// check releases the memory if the websockets are still down, in a
// goroutine of its own: a full collection takes a while.
func (m *memoryReturn) check() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = false
	if m.dropped() {
		m.peak = m.open
		go m.release()
	}
}
