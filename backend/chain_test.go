package backend

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// vectorMessages are the test vector of backend/API.md ("The chain").
func vectorMessages() []Message {
	at := time.Date(2026, 11, 28, 9, 30, 0, 123456789, time.UTC)
	return []Message{
		{ConversationID: 7, Seq: 1, Sender: Sender{Kind: KindUser, ID: 1, Name: "Dana"}, Text: "Hello Olivia,\nrent is due.", CreatedAt: at},
		{ConversationID: 7, Seq: 2, Sender: Sender{Kind: KindTenant, ID: 3, Name: "Olivia"}, Text: "Leak in the café!", Urgent: true,
			CreatedAt: at.Add(time.Minute),
			Files:     []File{{Name: "ceiling.jpg", Size: 5, SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}},
	}
}

// The vector was also reproduced with Python's hashlib from the bytes
// below, which is how a third party checks an export without this code.
func TestChainVector(t *testing.T) {
	msgs := vectorMessages()
	wantCanonical := []string{
		"doorstep.chain.v1\nconversation 7\nseq 1\nsender user 1\ntime 2026-11-28T09:30:00.123456789Z\nurgent 0\ntext 26\nHello Olivia,\nrent is due.\nfiles 0\n",
		"doorstep.chain.v1\nconversation 7\nseq 2\nsender tenant 3\ntime 2026-11-28T09:31:00.123456789Z\nurgent 1\ntext 18\nLeak in the café!\nfiles 1\n" +
			"file 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 5 11\nceiling.jpg\n",
	}
	wantHash := []string{
		"07178e841bab8f06392bf6e1b7e224a0ce1d2d274f0fcaded11b2fbf8766176d",
		"59625b61f17cc9a8668ffb61dc7ecd5f856c761a24dcbdc6424365909771d335",
	}
	var prev []byte
	for i, m := range msgs {
		if got := string(CanonicalMessage(m)); got != wantCanonical[i] {
			t.Errorf("canonical %d:\n got %q\nwant %q", i+1, got, wantCanonical[i])
		}
		prev = ChainHash(prev, m)
		if got := hex.EncodeToString(prev); got != wantHash[i] {
			t.Errorf("hash %d = %s, want %s", i+1, got, wantHash[i])
		}
	}
	// The sender's name and the idempotency key are not part of it; the
	// time is read in UTC whatever zone it comes in.
	m := msgs[0]
	m.Sender.Name, m.Key, m.ID = "Dana Whitfield", "k-1", 99
	m.CreatedAt = m.CreatedAt.In(time.FixedZone("EST", -5*3600))
	if hex.EncodeToString(ChainHash(nil, m)) != wantHash[0] {
		t.Error("name, key, id or zone changed the hash")
	}
}

// chained gives n messages of conversation 7 with their recorded hashes.
func chained(n int) []Message {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var msgs []Message
	var prev []byte
	for i := 1; i <= n; i++ {
		m := Message{ConversationID: 7, Seq: int64(i), Sender: Sender{Kind: KindTenant, ID: 3}, Text: strings.Repeat("x", i), CreatedAt: at.Add(time.Duration(i) * time.Minute)}
		if i%3 == 0 {
			m.Files = []File{{Name: "photo.jpg", Size: 10, SHA256: strings.Repeat("ab", 32)}}
		}
		prev = ChainHash(prev, m)
		m.Hash = hex.EncodeToString(prev)
		msgs = append(msgs, m)
	}
	return msgs
}

func TestCheckChainPinpointsTampering(t *testing.T) {
	type found struct {
		seq  int64
		what string
	}
	for _, tc := range []struct {
		name   string
		tamper func([]Message) []Message
		want   []found
	}{
		{"intact", func(m []Message) []Message { return m }, nil},
		{"shuffled only in the file", func(m []Message) []Message { m[2], m[5] = m[5], m[2]; return m }, nil},
		{"one byte of a text", func(m []Message) []Message { m[4].Text = "xxxxy"; return m }, []found{{5, ChainChanged}}},
		{"a file's hash", func(m []Message) []Message {
			m[5].Files = []File{{Name: "photo.jpg", Size: 10, SHA256: strings.Repeat("ac", 32)}}
			return m
		},
			[]found{{6, ChainChanged}}},
		{"a file's name", func(m []Message) []Message {
			m[2].Files = []File{{Name: "photo2.jpg", Size: 10, SHA256: strings.Repeat("ab", 32)}}
			return m
		},
			[]found{{3, ChainChanged}}},
		{"the time", func(m []Message) []Message { m[1].CreatedAt = m[1].CreatedAt.Add(time.Second); return m }, []found{{2, ChainChanged}}},
		{"the sender", func(m []Message) []Message { m[1].Sender = Sender{Kind: KindUser, ID: 1}; return m }, []found{{2, ChainChanged}}},
		{"the urgent mark", func(m []Message) []Message { m[7].Urgent = true; return m }, []found{{8, ChainChanged}}},
		{"a message deleted", func(m []Message) []Message { return slices.Delete(m, 3, 4) }, []found{{4, ChainMissing(4, 4)}}},
		{"three deleted", func(m []Message) []Message { return slices.Delete(m, 3, 6) }, []found{{4, ChainMissing(4, 6)}}},
		{"two swapped", func(m []Message) []Message {
			m[3].Text, m[4].Text = m[4].Text, m[3].Text
			return m
		}, []found{{4, ChainChanged}, {5, ChainChanged}}},
		{"a repeat", func(m []Message) []Message { return slices.Insert(m, 5, m[4]) }, []found{{5, ChainDuplicate}}},
		{"one from elsewhere", func(m []Message) []Message { m[0].ConversationID = 8; return m },
			[]found{{1, ChainOtherConv}, {1, ChainMissing(1, 1)}}},
		{"a hash removed", func(m []Message) []Message { m[6].Hash = ""; return m }, []found{{7, ChainNoHash}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := CheckChain(7, tc.tamper(chained(10)))
			var got []found
			for _, p := range problems {
				got = append(got, found{p.Seq, p.Problem})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
		})
	}
}

// A forger who changes a message and records fresh hashes for it and
// everything after passes the message-by-message check, but not the signed
// head; nor can they sign a new head with the server's key.
func TestSignedHeadCatchesRecomputedHashes(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	msgs := chained(10)
	heads, problems := CheckChain(7, msgs)
	if problems != nil {
		t.Fatal(problems)
	}
	st := HeadStatement{ServerID: "srv-1", ConversationID: 7, Seq: 10, Head: hex.EncodeToString(heads[10]), SignedAt: time.Now()}
	signed := SignHead(st, key)
	if err := signed.Verify(pub); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	if p := CheckHead(signed.HeadStatement, heads); p != nil {
		t.Fatalf("intact history against its head: %v", p)
	}

	forged := chained(10)
	forged[3].Text = "I never said that"
	var prev []byte
	for i := range forged {
		prev = ChainHash(prev, forged[i])
		forged[i].Hash = hex.EncodeToString(prev)
	}
	fheads, problems := CheckChain(7, forged)
	if problems != nil {
		t.Fatalf("recomputed hashes are consistent among themselves: %v", problems)
	}
	if p := CheckHead(signed.HeadStatement, fheads); len(p) != 1 || p[0].Problem != ChainHeadDiffers || p[0].Seq != 10 {
		t.Errorf("forged history against the signed head: %v", p)
	}
	// An earlier signed head narrows it down: up to 3 it still holds.
	early := HeadStatement{ServerID: "srv-1", ConversationID: 7, Seq: 3, Head: hex.EncodeToString(heads[3]), SignedAt: time.Now()}
	if p := CheckHead(early, fheads); p != nil {
		t.Errorf("the untouched part against an earlier head: %v", p)
	}
	if p := CheckHead(st, map[int64][]byte{}); len(p) != 1 || p[0].Problem != ChainShorterThanS {
		t.Errorf("an empty history against a head: %v", p)
	}

	// Re-signed with another key: the signature holds for its own key,
	// which is not the server's.
	_, other, _ := ed25519.GenerateKey(nil)
	resigned := SignHead(HeadStatement{ServerID: "srv-1", ConversationID: 7, Seq: 10, Head: hex.EncodeToString(fheads[10]), SignedAt: time.Now()}, other)
	if err := resigned.Verify(nil); err != nil {
		t.Errorf("self-consistent forgery: %v", err)
	}
	if err := resigned.Verify(pub); !errors.Is(err, ErrOtherKey) {
		t.Errorf("forgery against the server's key: %v", err)
	}
	// A statement changed after signing.
	changed := signed
	changed.Seq = 9
	if err := changed.Verify(pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed statement: %v", err)
	}
}

func TestKeyFingerprint(t *testing.T) {
	pub := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))
	// SHA-256 of 32 zero bytes begins 66687aadf862bd776c8fc18b8e9f8e20.
	if got := KeyFingerprint(pub); got != "6668 7AAD F862 BD77 6C8F C18B 8E9F 8E20" {
		t.Errorf("fingerprint %q", got)
	}
	if _, err := ParsePublicKey("not base64!"); err == nil {
		t.Error("a bad key was read")
	}
}

// Checking from a trusted hash on gives what checking from the start gives
// for those messages.
func TestCheckChainAfter(t *testing.T) {
	msgs := chained(10)
	full, _ := CheckChain(7, msgs)
	prev, _ := hex.DecodeString(msgs[3].Hash)
	heads, problems := CheckChainAfter(7, 4, prev, msgs[4:])
	if problems != nil || hex.EncodeToString(heads[10]) != hex.EncodeToString(full[10]) || len(heads) != 6 {
		t.Fatalf("from message 4 on: %d heads, %v", len(heads), problems)
	}
	msgs[5].Text = "changed"
	if _, problems := CheckChainAfter(7, 4, prev, msgs[4:]); len(problems) != 1 || problems[0].Seq != 6 || problems[0].Problem != ChainChanged {
		t.Errorf("one changed after message 4: %v", problems)
	}
	if _, problems := CheckChainAfter(7, 4, prev, msgs[6:]); len(problems) != 1 || problems[0].Problem != ChainMissing(5, 6) {
		t.Errorf("5 and 6 missing: %v", problems)
	}
}
