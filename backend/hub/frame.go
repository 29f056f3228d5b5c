package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"doorstep/backend"
)

// Frame is one event on its way to one recipient. A message to a group of
// ten is eleven events, one per recipient, that differ only in their id and
// prev: a Frame holds those two and shares the rest, encoded as JSON once
// for all of them, by whichever writer needs it first. Without that, each
// of the recipients' writers encoded the same message again.
type Frame struct {
	ID   int64 // the recipient's event id
	Prev int64 // the id of the recipient's event before it (0: not said)
	enc  *encoding
}

// NewFrame is the frame of an event of its own (one read from the log, say).
func NewFrame(ev backend.Event) Frame {
	return Frame{ID: ev.ID, Prev: ev.Prev, enc: newEncoding(ev)}
}

// Event is the frame's event.
func (f Frame) Event() backend.Event {
	ev := f.enc.ev
	ev.ID, ev.Prev = f.ID, f.Prev
	return ev
}

// Type is the event's type.
func (f Frame) Type() string { return f.enc.ev.Type }

// AppendJSON appends the event's JSON to dst, byte for byte what
// encoding/json's Encoder writes for Event() (so its newline too), which
// is what websocket clients have always read.
func (f Frame) AppendJSON(dst []byte) ([]byte, error) {
	body, err := f.enc.encoded()
	if err != nil {
		return dst, err
	}
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, f.ID, 10)
	dst = append(dst, ',')
	dst = append(dst, body...)
	if f.Prev != 0 { // omitempty, and the last field
		dst = append(dst, `,"prev":`...)
		dst = strconv.AppendInt(dst, f.Prev, 10)
	}
	return append(dst, "}\n"...), nil
}

// encoding is what the recipients of one event share.
type encoding struct {
	ev   backend.Event // ID and Prev zero
	once sync.Once
	body []byte // ev's JSON between `{"id":0,` and the closing brace
	err  error
}

func newEncoding(ev backend.Event) *encoding {
	ev.ID, ev.Prev = 0, 0
	return &encoding{ev: ev}
}

// zeroID opens the JSON of an Event whose ID is 0: "id" is its first field,
// and not omitted when empty.
var zeroID = []byte(`{"id":0,`)

func (e *encoding) encoded() ([]byte, error) {
	e.once.Do(func() {
		b, err := json.Marshal(e.ev)
		if err != nil {
			e.err = err
			return
		}
		body, ok := bytes.CutPrefix(b, zeroID)
		if !ok || len(body) < 2 || body[len(body)-1] != '}' {
			e.err = fmt.Errorf("hub: an event's JSON does not start with %s: %.40s", zeroID, b)
			return
		}
		e.body = body[:len(body)-1]
	})
	return e.body, e.err
}

// sameButRecipient reports whether a and b are one event published to two
// recipients: all but the id and prev identical, the same message (or
// conversation, …) by pointer. It errs on the side of no: two equal
// events that are not the same one are encoded twice, which is only slower.
func sameButRecipient(a, b backend.Event) bool {
	return a.Type == b.Type && a.Conversation == b.Conversation && a.Message == b.Message &&
		a.Read == b.Read && a.Settings == b.Settings && a.CreatedAt == b.CreatedAt &&
		len(a.Templates) == len(b.Templates) && (len(a.Templates) == 0 || &a.Templates[0] == &b.Templates[0])
}
