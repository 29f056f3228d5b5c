package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// wireEvent is what the load reads of an event: enough to time a message
// and to resume with since.
type wireEvent struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	Message *struct {
		Text string `json:"text"`
	} `json:"message"`
}

// stream is one of the load's open websockets.
type stream struct {
	rc    receiver
	conn  *websocket.Conn
	ready chan struct{} // closed at the server's "ready"
	done  chan struct{} // closed when the reader has stopped
	// last is the id of the last event read: where to resume with since.
	last atomic.Int64
	// closing is set before the load closes the socket itself, so that
	// the reader's end is not counted as a failure.
	closing atomic.Bool
}

// fleet opens and reads the load's websockets. Every message whose text
// carries the run's prefix is handed to onMessage with its sequence number.
type fleet struct {
	t         target
	prefix    string
	onMessage func(s *stream, seq int)
	readyN    atomic.Int64 // websockets that have read their "ready"
	dropped   atomic.Int64 // websockets the server ended that the load did not close
}

// text is the body of message seq of this run.
func (f *fleet) text(seq int) string { return f.prefix + " " + strconv.Itoa(seq) }

func (f *fleet) seqOf(text string) (int, bool) {
	rest, ok := strings.CutPrefix(text, f.prefix+" ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// open dials one websocket and starts reading it.
func (f *fleet) open(ctx context.Context, rc receiver, since int64) (*stream, error) {
	conn, err := f.t.dial(ctx, rc, since)
	if err != nil {
		return nil, err
	}
	s := &stream{rc: rc, conn: conn, ready: make(chan struct{}), done: make(chan struct{})}
	s.last.Store(max(since, 0))
	go f.read(s)
	return s, nil
}

func (f *fleet) read(s *stream) {
	defer close(s.done)
	ready := false
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			if !s.closing.Load() {
				f.dropped.Add(1)
			}
			return
		}
		var ev wireEvent
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		switch ev.Type {
		case "ready":
			if ev.ID > 0 {
				s.last.Store(ev.ID)
			}
			if !ready {
				ready = true
				f.readyN.Add(1)
				close(s.ready)
			}
			continue
		case "resync":
			s.last.Store(ev.ID)
			continue
		}
		if ev.ID > 0 {
			s.last.Store(ev.ID)
		}
		if ev.Message != nil && f.onMessage != nil {
			if seq, ok := f.seqOf(ev.Message.Text); ok {
				f.onMessage(s, seq)
			}
		}
	}
}

// close ends the websocket from the load's side, without a close frame
// (as a dropped network does), and waits for its reader.
func (s *stream) close() {
	s.closing.Store(true)
	s.conn.Close()
	<-s.done
}

// openAll opens a websocket for each receiver, at most inFlight handshakes
// at a time, and waits until every one has read its "ready". since gives
// the since of receiver i (< 0: live only).
func (f *fleet) openAll(ctx context.Context, rcs []receiver, since func(i int) int64, inFlight int, timeout time.Duration) ([]*stream, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	streams := make([]*stream, len(rcs))
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	failed := 0
	for i, rc := range rcs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := f.open(ctx, rc, since(i))
			if err == nil {
				streams[i] = s
				select { // the slot is free once the replay is over
				case <-s.ready:
				case <-s.done:
					err = fmt.Errorf("websocket %d ended before ready", i)
				case <-ctx.Done():
					err = ctx.Err()
				}
			}
			<-sem
			if err != nil {
				mu.Lock()
				failed++
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		closeAll(streams)
		return nil, fmt.Errorf("%d of %d websockets failed to open: %w", failed, len(rcs), firstErr)
	}
	return streams, nil
}

// closeAll closes the websockets, many at a time.
func closeAll(streams []*stream) {
	var wg sync.WaitGroup
	chunk := max(1, len(streams)/16)
	for lo := 0; lo < len(streams); lo += chunk {
		wg.Add(1)
		go func(part []*stream) {
			defer wg.Done()
			for _, s := range part {
				if s != nil {
					s.close()
				}
			}
		}(streams[lo:min(lo+chunk, len(streams))])
	}
	wg.Wait()
}
