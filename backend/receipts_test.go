package backend_test

import (
	"reflect"
	"testing"

	"doorstep/backend"
)

func TestReceipts(t *testing.T) {
	t.Parallel()
	reader := func(name string, seq int64) backend.ReadPosition {
		return backend.ReadPosition{ConversationID: 1, Reader: backend.Sender{Kind: backend.KindTenant, Name: name}, Seq: seq}
	}
	group := backend.Conversation{ID: 1, Kind: backend.ConversationGroup,
		Reads: []backend.ReadPosition{reader("Daniel Park", 4), reader("Emily Chen", 4), reader("Sofia Rossi", 2)}}
	direct := backend.Conversation{ID: 1, Kind: backend.ConversationDirect, Reads: []backend.ReadPosition{reader("James Okafor", 3)}}
	landlord := backend.Sender{Kind: backend.KindUser, ID: 1}
	tenant := backend.Sender{Kind: backend.KindTenant, ID: 2}
	msgs := []backend.Message{{Seq: 1, Sender: landlord}, {Seq: 2, Sender: tenant}, {Seq: 3, Sender: landlord}, {Seq: 5, Sender: landlord}}

	for _, c := range []struct {
		name string
		conv backend.Conversation
		want []backend.Receipt
	}{
		{"Group", group, []backend.Receipt{
			{Seq: 1, Label: "Seen by all 3", Seen: []string{"Daniel Park", "Emily Chen", "Sofia Rossi"}, NotSeen: []string{},
				Hover: "Seen: Daniel Park, Emily Chen, Sofia Rossi"},
			{Seq: 3, Label: "Seen by 2 of 3", Seen: []string{"Daniel Park", "Emily Chen"}, NotSeen: []string{"Sofia Rossi"},
				Hover: "Seen: Daniel Park, Emily Chen\nNot yet: Sofia Rossi"},
			{Seq: 5, Label: "Not seen yet", Seen: []string{}, NotSeen: []string{"Daniel Park", "Emily Chen", "Sofia Rossi"},
				Hover: "Not yet: Daniel Park, Emily Chen, Sofia Rossi"},
		}},
		{"Direct", direct, []backend.Receipt{
			{Seq: 1, Label: "Seen", Seen: []string{"James Okafor"}, NotSeen: []string{}, Hover: "Seen: James Okafor"},
			{Seq: 3, Label: "Seen", Seen: []string{"James Okafor"}, NotSeen: []string{}, Hover: "Seen: James Okafor"},
			{Seq: 5, Label: "Not seen yet", Seen: []string{}, NotSeen: []string{"James Okafor"}, Hover: "Not yet: James Okafor"},
		}},
		{"ErrNoReadPositions", backend.Conversation{Kind: backend.ConversationGroup}, []backend.Receipt{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := backend.Receipts(c.conv, msgs); !reflect.DeepEqual(got, c.want) {
				t.Errorf("receipts =\n  %+v\nwant\n  %+v", got, c.want)
			}
		})
	}
}
