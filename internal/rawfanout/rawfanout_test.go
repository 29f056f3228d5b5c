package rawfanout_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/internal/rawfanout"
)

type event struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
}

func dial(t *testing.T, base, room string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?room="+room, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if ev := read(t, c); ev.Type != "ready" {
		t.Fatalf("first event %+v, want ready", ev)
	}
	return c
}

func read(t *testing.T, c *websocket.Conn) event {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ev event
	if err := c.ReadJSON(&ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestMessagesReachTheirRoomOnly(t *testing.T) {
	srv := httptest.NewServer(rawfanout.Handler())
	defer srv.Close()
	a1, a2, b := dial(t, srv.URL, "a"), dial(t, srv.URL, "a"), dial(t, srv.URL, "b")
	for _, send := range []struct{ room, text string }{{"a", "to a"}, {"b", "to b"}} {
		resp, err := http.Post(srv.URL+"/send?room="+send.room, "text/plain", strings.NewReader(send.text))
		if err != nil {
			t.Fatal(err)
		}
		var answer event
		json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || answer.Message.Text != send.text || answer.ID == 0 {
			t.Fatalf("send %q: %d %+v", send.text, resp.StatusCode, answer)
		}
	}
	for name, c := range map[string]*websocket.Conn{"a1": a1, "a2": a2} {
		if ev := read(t, c); ev.Type != "message" || ev.Message.Text != "to a" {
			t.Errorf("%s got %+v, want room a's message", name, ev)
		}
	}
	if ev := read(t, b); ev.Message.Text != "to b" {
		t.Errorf("b got %+v first, want only room b's message", ev)
	}
}
