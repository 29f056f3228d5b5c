// Package rawfanout is the floor Doorstep's websocket figures are compared
// with: a raw gorilla/websocket fan-out server as gorilla's chat example
// writes one, and nothing more. It is not part of the product: no storage,
// no sessions, no replay. doorstep-load drives it (its command is
// backend/cmd/doorstep-load/rawfanout) as it drives doorstep-server.
//
//	GET  /ws?room=NAME     a websocket receiving the room's messages, after a {"type":"ready"}
//	POST /send?room=NAME   the body is the text; every websocket of the room gets it (201)
//
// Each message is encoded once and the same bytes go to every receiver; a
// receiver whose queue is full is dropped.
package rawfanout

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// As in gorilla/websocket's chat example.
const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	queue      = 256
)

var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

type client struct {
	send chan []byte
}

type server struct {
	mu    sync.Mutex
	rooms map[string]map[*client]bool
	id    atomic.Int64
}

// Handler serves /ws and /send.
func Handler() http.Handler {
	s := &server{rooms: map[string]map[*client]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("POST /send", s.serveSend)
	return mux
}

func (s *server) serveSend(w http.ResponseWriter, r *http.Request) {
	text, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type message struct {
		Text      string    `json:"text"`
		CreatedAt time.Time `json:"created_at"`
	}
	msg, _ := json.Marshal(struct {
		ID      int64   `json:"id"`
		Type    string  `json:"type"`
		Message message `json:"message"`
	}{s.id.Add(1), "message", message{string(text), time.Now().UTC()}})
	s.mu.Lock()
	for c := range s.rooms[r.URL.Query().Get("room")] {
		select {
		case c.send <- msg:
		default:
			s.leave(r.URL.Query().Get("room"), c)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(msg)
}

// leave removes c from its room and closes its queue; s.mu must be held.
func (s *server) leave(room string, c *client) {
	if s.rooms[room][c] {
		delete(s.rooms[room], c)
		close(c.send)
		if len(s.rooms[room]) == 0 {
			delete(s.rooms, room)
		}
	}
}

func (s *server) serveWS(w http.ResponseWriter, r *http.Request) {
	room := r.URL.Query().Get("room")
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &client{send: make(chan []byte, queue)}
	c.send <- []byte(`{"type":"ready"}`)
	s.mu.Lock()
	if s.rooms[room] == nil {
		s.rooms[room] = map[*client]bool{}
	}
	s.rooms[room][c] = true
	s.mu.Unlock()
	go writePump(conn, c)
	// readPump, on the handler's goroutine.
	conn.SetReadLimit(512)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	s.mu.Lock()
	s.leave(room, c)
	s.mu.Unlock()
	conn.Close()
}

func writePump(conn *websocket.Conn, c *client) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
