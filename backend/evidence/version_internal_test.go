package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// An export made by another version of Doorstep is checked all the same;
// only its documents are not drawn again, and the report says so.
func TestAnotherVersionsDocumentsAreNotCompared(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	m := backend.Message{ConversationID: 4, Seq: 1, Sender: backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat"}, Text: "Hello", CreatedAt: at}
	m.Hash = hex.EncodeToString(backend.ChainHash(nil, m))
	signed := backend.SignHead(backend.HeadStatement{ServerID: "s", ConversationID: 4, Seq: 1, Head: m.Hash, SignedAt: at}, key)
	in := Input{Exporter: "Pat", ExportedAt: at, Server: ServerFromKey("s", base64.StdEncoding.EncodeToString(pub)),
		Conversations: []Conversation{{Conversation: backend.Conversation{ID: 4, Title: "Olivia"}, Messages: []backend.Message{m},
			Signed: &signed, Signature: SignedNow}}}
	dest := filepath.Join(t.TempDir(), "old")
	defer func(v func() string) { appVersion = v }(appVersion)
	appVersion = func() string { return "0.9.0" }
	if _, err := Write(dest, in, nil); err != nil {
		t.Fatal(err)
	}
	appVersion = func() string { return "1.0.0" }
	r, err := Verifier{Trusted: pub}.Verify(dest)
	if err != nil {
		t.Fatal(err)
	}
	note := "conversation.html, conversation.pdf and HOW-TO-VERIFY.txt were made by documents.2 0.9.0; this is Doorstep 1.0.0, which cannot draw them again to compare, so compare them with messages.json by eye."
	if !r.Intact || !r.Signed || !slices.Contains(r.Notes, note) {
		t.Errorf("%s %+v %q", r.Summary, r.Problems, r.Notes)
	}
}
