package backend

import (
	"fmt"
	"strings"
)

// Receipt says which members of a conversation have seen one of the
// landlord's messages: what shows under it, and the names behind it.
type Receipt struct {
	Seq int64 `json:"seq"` // the message's
	// Label is what shows under the message: "Seen" (one-to-one), "Seen
	// by 2 of 3", "Seen by all 3" (group), or "Not seen yet".
	Label   string   `json:"label"`
	Seen    []string `json:"seen"`     // who has, by name
	NotSeen []string `json:"not_seen"` // who has not yet
	// Hover is what hovering the label shows, a line each for who has
	// and who has not: "Seen: Daniel Park, Emily Chen\nNot yet: Sofia
	// Rossi" (a line only when it names someone).
	Hover string `json:"hover"`
}

// ReceiptFor is the receipt of the message at seq in c, from the members'
// read positions (c.Reads, the landlord's view): a member has seen it once
// their position reached it. ok is false when c has no one to see it.
func ReceiptFor(c Conversation, seq int64) (r Receipt, ok bool) {
	if len(c.Reads) == 0 {
		return Receipt{}, false
	}
	r = Receipt{Seq: seq, Seen: []string{}, NotSeen: []string{}}
	for _, p := range c.Reads {
		if p.Seq >= seq {
			r.Seen = append(r.Seen, p.Reader.Name)
		} else {
			r.NotSeen = append(r.NotSeen, p.Reader.Name)
		}
	}
	var hover []string
	if len(r.Seen) > 0 {
		hover = append(hover, "Seen: "+strings.Join(r.Seen, ", "))
	}
	if len(r.NotSeen) > 0 {
		hover = append(hover, "Not yet: "+strings.Join(r.NotSeen, ", "))
	}
	r.Hover = strings.Join(hover, "\n")
	seen, of := len(r.Seen), len(c.Reads)
	switch {
	case seen == 0:
		r.Label = "Not seen yet"
	case c.Kind != ConversationGroup:
		r.Label = "Seen"
	case seen == of:
		r.Label = fmt.Sprintf("Seen by all %d", of)
	default:
		r.Label = fmt.Sprintf("Seen by %d of %d", seen, of)
	}
	return r, true
}

// Receipts are the receipts of the landlord's messages among msgs, in
// their order: only the landlord is shown who saw what.
func Receipts(c Conversation, msgs []Message) []Receipt {
	out := []Receipt{}
	for _, m := range msgs {
		if m.Sender.Kind != KindUser {
			continue
		}
		if r, ok := ReceiptFor(c, m.Seq); ok {
			out = append(out, r)
		}
	}
	return out
}
