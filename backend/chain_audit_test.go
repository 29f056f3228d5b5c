package backend

import (
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"testing"
	"time"
)

// TestChainAudit: the whole-database check both stores run reports every
// problem of a conversation in seq order (the chain's, the files', the
// signatures'), checks each stored file once however many messages carry
// it, and adds up what it checked.
func TestChainAudit(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	trusted := key.Public().(ed25519.PublicKey)
	sign := func(convID, seq int64, head []byte, with ed25519.PrivateKey) SignedHead {
		return SignHead(HeadStatement{ServerID: "s", ConversationID: convID, Seq: seq, Head: hex.EncodeToString(head),
			SignedAt: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}, with)
	}

	seven := chained(6) // files on messages 3 and 6
	heads, _ := CheckChain(7, seven)
	seven[1].Text = "changed"
	sevenChain := StoredChain{ConversationID: 7, LastSeq: 6, Head: heads[6], Messages: seven,
		Storage:    [][]string{nil, nil, {"a"}, nil, nil, {"b"}},
		Signatures: []SignedHead{sign(7, 4, heads[4], key), sign(7, 6, heads[6], other)}}

	// Conversation 8 carries file b again, on its only message.
	eight := []Message{{ConversationID: 8, Seq: 1, Sender: Sender{Kind: KindUser, ID: 1}, Text: "again",
		CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Files: seven[5].Files}}
	eightHead := ChainHash(nil, eight[0])
	eight[0].Hash = hex.EncodeToString(eightHead)
	eightChain := StoredChain{ConversationID: 8, LastSeq: 1, Head: eightHead, Messages: eight, Storage: [][]string{{"b"}}}

	checked := map[string]int{}
	audit := NewChainAudit(trusted, func(name string, size int64, sha256 string) string {
		checked[name]++
		if name == "b" {
			return ChainFileChanged
		}
		return ""
	})
	audit.Check(sevenChain)
	audit.Check(eightChain)
	r := audit.Report()

	want := []ChainProblem{
		{7, 2, ChainChanged},
		{7, 4, ChainHeadDiffers},
		{7, 4, ChainChangedBetween(0, 4)},
		{7, 6, ChainFileChanged},
		{7, 6, ErrOtherKey.Message},
		{8, 1, ChainFileChanged},
	}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("problems:\n%v\nwant:\n%v", r.Problems, want)
	}
	if checked["a"] != 1 || checked["b"] != 1 || len(checked) != 2 {
		t.Errorf("files checked %v; want each once", checked)
	}
	if r.Conversations != 2 || r.Messages != 7 || r.Files != 2 || r.Signatures != 2 {
		t.Errorf("report counts %+v", r)
	}

	// Without a file check, files are neither checked nor counted.
	bare := NewChainAudit(trusted, nil)
	bare.Check(eightChain)
	if r := bare.Report(); r.Problems != nil || r.Files != 0 || r.Messages != 1 {
		t.Errorf("without a file check: %+v", r)
	}
}
