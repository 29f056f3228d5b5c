package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/client"
)

// A room is where the load sends: a one-to-one conversation (one receiver,
// the first tenant of unit n) or a unit's group conversation (its Size
// tenants).
type room struct {
	group bool
	n     int
}

// receiver is one websocket of the load: member m of a room.
type receiver struct {
	room   room
	member int
}

// target is the server under load: Doorstep, or the raw fan-out floor.
type target interface {
	name() string
	// size is how many receivers a group room has.
	size() int
	// dial opens a receiver's websocket; since < 0 asks for live events
	// only.
	dial(ctx context.Context, r receiver, since int64) (*websocket.Conn, error)
	// send posts text into a room, as the landlord or as the room's
	// tenant; it returns once the server has acknowledged it.
	send(ctx context.Context, r room, asTenant bool, key, text string) error
}

// transport is the HTTP transport of the load's requests: enough idle
// connections kept for every request in flight.
func transport(inFlight int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = inFlight * 2
	t.MaxIdleConnsPerHost = inFlight * 2
	return t
}

// dialer keeps the load's own websockets small: it holds thousands.
var dialer = websocket.Dialer{
	HandshakeTimeout: 30 * time.Second,
	ReadBufferSize:   1024,
	WriteBufferSize:  256,
	WriteBufferPool:  &sync.Pool{},
	NetDialContext:   (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
}

func wsURL(base, path string) string {
	return strings.Replace(strings.TrimRight(base, "/"), "http", "ws", 1) + path
}

// doorstep is a running doorstep-server, with the sessions and
// conversations setup made.
type doorstep struct {
	base     string
	st       state
	landlord *client.Client
	tenants  map[int]*client.Client // the senders of B, by tenant index
	mu       sync.Mutex
	hc       *http.Client
}

func newDoorstep(base string, st state, hc *http.Client) (*doorstep, error) {
	landlord, err := client.New(base, client.WithHTTPClient(hc), client.WithToken(st.Landlord), client.WithUserAgent("doorstep-load"))
	if err != nil {
		return nil, err
	}
	return &doorstep{base: base, st: st, landlord: landlord, tenants: map[int]*client.Client{}, hc: hc}, nil
}

func (d *doorstep) name() string { return "doorstep" }
func (d *doorstep) size() int    { return d.st.Size }

func (d *doorstep) tenantIndex(r receiver) (int, error) {
	i := r.room.n*d.st.Size + r.member
	if i >= len(d.st.Tenants) {
		return 0, fmt.Errorf("the state has %d tenants: no tenant %d", len(d.st.Tenants), i)
	}
	return i, nil
}

func (d *doorstep) dial(ctx context.Context, r receiver, since int64) (*websocket.Conn, error) {
	i, err := d.tenantIndex(r)
	if err != nil {
		return nil, err
	}
	u := wsURL(d.base, "/api/v1/events")
	if since >= 0 {
		u += "?since=" + strconv.FormatInt(since, 10)
	}
	conn, resp, err := dialer.DialContext(ctx, u, http.Header{"Authorization": {"Bearer " + d.st.Tenants[i]}})
	return conn, refusal(resp, err)
}

func (d *doorstep) conversation(r room) (int64, error) {
	list := d.st.Directs
	if r.group {
		list = d.st.Groups
	}
	if r.n >= len(list) {
		return 0, fmt.Errorf("the state has %d rooms of this kind: no room %d", len(list), r.n)
	}
	return list[r.n], nil
}

func (d *doorstep) send(ctx context.Context, r room, asTenant bool, key, text string) error {
	conv, err := d.conversation(r)
	if err != nil {
		return err
	}
	c := d.landlord
	if asTenant {
		i := r.n * d.st.Size
		d.mu.Lock()
		if c = d.tenants[i]; c == nil {
			c = d.landlord.WithSession(d.st.Tenants[i])
			d.tenants[i] = c
		}
		d.mu.Unlock()
	}
	_, err = c.SendMessage(ctx, conv, backend.SendMessage{Key: key, Text: text})
	return err
}

// raw is the raw gorilla/websocket fan-out server of ./rawfanout: rooms by
// name, no storage, no sessions.
type raw struct {
	base   string
	groups int // receivers per group room
	hc     *http.Client
}

func (r *raw) name() string { return "raw" }
func (r *raw) size() int    { return r.groups }

func rawRoom(rm room) string {
	if rm.group {
		return "g" + strconv.Itoa(rm.n)
	}
	return "d" + strconv.Itoa(rm.n)
}

func (r *raw) dial(ctx context.Context, rc receiver, since int64) (*websocket.Conn, error) {
	conn, resp, err := dialer.DialContext(ctx, wsURL(r.base, "/ws?room="+rawRoom(rc.room)), nil)
	return conn, refusal(resp, err)
}

func (r *raw) send(ctx context.Context, rm room, asTenant bool, key, text string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/send?room="+url.QueryEscape(rawRoom(rm)), strings.NewReader(text))
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("send: HTTP %d", resp.StatusCode)
	}
	return nil
}

// refusal adds what a server said when it refused a websocket.
func refusal(resp *http.Response, err error) error {
	if err == nil || resp == nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return fmt.Errorf("%w: HTTP %d %s", err, resp.StatusCode, bytes.TrimSpace(body))
}
