package hub

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"doorstep/backend"
)

// encoderJSON is what websocket clients have always received for ev:
// encoding/json's Encoder output (gorilla's WriteJSON).
func encoderJSON(t *testing.T, ev backend.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(ev); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A message as the store publishes it to a group: one event per
// recipient, the same message, each with its own id and prev.
func groupMessage(recipients int) []backend.Delivery {
	msg := &backend.Message{ID: 9, ConversationID: 4, Seq: 12, Sender: backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat <Morgan> & Co"},
		Text: "Water is off 9–11 \"tomorrow\" <b>\u2028</b>", Files: []backend.File{{ID: 3, Name: "notice.pdf", Size: 1200}},
		Key: "k-000001", Hash: "ab12", CreatedAt: time.Date(2026, 11, 28, 9, 30, 0, 123456789, time.UTC)}
	at := time.Date(2026, 11, 28, 9, 30, 0, 500, time.UTC)
	var ds []backend.Delivery
	for i := range recipients {
		ds = append(ds, backend.Delivery{
			To:    backend.Recipient{Kind: backend.KindTenant, ID: int64(100 + i)},
			Event: backend.Event{ID: int64(1000 + i), Type: backend.EventMessage, Message: msg, CreatedAt: at, Prev: int64(i * 7)},
		})
	}
	return ds
}

func TestFrameJSONIsTheEncodersBytes(t *testing.T) {
	t.Parallel()
	tmpls := []backend.Template{{ID: 1, Name: "Rent", Text: "Rent is due {{date}}"}}
	events := []backend.Event{
		{ID: 1, Type: backend.EventReady, CreatedAt: time.Now().UTC()},
		{ID: 0, Type: backend.EventResync, CreatedAt: time.Now()},
		{ID: 77, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 2, Seq: 5, MarkedUnread: true}, CreatedAt: time.Now(), Prev: 76},
		{ID: 78, Type: backend.EventTemplates, Templates: tmpls, CreatedAt: time.Now()},
		{ID: 79, Type: backend.EventTemplates, Templates: []backend.Template{}, CreatedAt: time.Now(), Prev: 1 << 60},
		{ID: 80, Type: backend.EventConversation, Conversation: &backend.Conversation{ID: 4, Kind: backend.ConversationGroup}, CreatedAt: time.Now()},
		{ID: 81, Type: backend.EventSettings, Settings: &backend.AttentionSettings{}, CreatedAt: time.Now(), Prev: 80},
	}
	for _, d := range groupMessage(3) {
		events = append(events, d.Event)
	}
	for _, ev := range events {
		got, err := NewFrame(ev).AppendJSON([]byte("kept "))
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]byte("kept "), encoderJSON(t, ev)...); !bytes.Equal(got, want) {
			t.Errorf("%s event:\n got %s\nwant %s", ev.Type, got, want)
		}
		if f := NewFrame(ev); !reflect.DeepEqual(f.Event(), ev) || f.Type() != ev.Type {
			t.Errorf("Event() = %+v, want %+v", f.Event(), ev)
		}
	}
}

// AppendJSON writes "id" first and "prev" last around the shared part:
// that holds while they are Event's first and last fields, and
// sameButRecipient compares every other field.
func TestFrameKnowsEveryFieldOfEvent(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[backend.Event]()
	var names []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	want := []string{"ID", "Type", "Conversation", "Message", "Read", "Settings", "Templates", "CreatedAt", "Prev"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("backend.Event's fields are %v, not %v: update AppendJSON and sameButRecipient", names, want)
	}
}

func TestOneEncodingPerPublishedEvent(t *testing.T) {
	t.Parallel()
	h := New()
	ds := groupMessage(10)
	// Then another message to the second recipient.
	other := backend.Delivery{To: ds[1].To, Event: ds[1].Event}
	other.Event.Message = &backend.Message{ID: 10, Text: "another"}
	subs := map[backend.Recipient][]*Subscription{}
	for _, d := range ds {
		subs[d.To] = []*Subscription{h.Subscribe(d.To, "", 4), h.Subscribe(d.To, "", 4)} // two websockets each
	}
	h.Publish(append(ds, other))

	var shared *encoding
	for i, d := range ds {
		for _, s := range subs[d.To] {
			frames := s.Take()
			if want := 1 + btoi(i == 1); len(frames) != want {
				t.Fatalf("recipient %d: %d frames, want %d", i, len(frames), want)
			}
			if shared == nil {
				shared = frames[0].enc
			}
			if frames[0].enc != shared {
				t.Errorf("recipient %d has an encoding of its own", i)
			}
			got, err := frames[0].AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := encoderJSON(t, d.Event); !bytes.Equal(got, want) {
				t.Errorf("recipient %d:\n got %s\nwant %s", i, got, want)
			}
			if i == 1 && frames[1].enc == shared {
				t.Error("another message shared the first one's encoding")
			}
		}
	}
	if shared.body == nil {
		t.Error("the shared encoding was not made when first written")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestEncodingIsMadeOnceUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	f := NewFrame(groupMessage(1)[0].Event)
	done := make(chan []byte)
	for range 8 {
		go func() {
			b, _ := f.AppendJSON(nil)
			done <- b
		}()
	}
	want := encoderJSON(t, f.Event())
	for range 8 {
		if got := <-done; !bytes.Equal(got, want) {
			t.Errorf("got %s", got)
		}
	}
}
