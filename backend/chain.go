package backend

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The tamper-evident history. Every message of a conversation is chained
// to the one before it:
//
//	hash_0 = 32 zero bytes
//	hash_n = SHA-256(hash_{n-1} ‖ CanonicalMessage(message n))
//
// computed by the server in the transaction that stores the message. The
// server signs a conversation's newest hash, its head, with its ed25519 key
// (HeadStatement). A message changed, removed or put in another place
// afterwards no longer gives the signed head, and the first seq whose
// recomputed hash differs from the one recorded points at it. backend/API.md
// defines the canonical form byte for byte, with a test vector
// (TestChainVector).

// ChainVersion names the canonical form; it is the first line of every
// canonical message and of every signed statement.
const ChainVersion = "doorstep.chain.v1"

// ChainTimeLayout is how a message's time is written in its canonical form:
// UTC, nanoseconds always nine digits.
const ChainTimeLayout = "2006-01-02T15:04:05.000000000Z"

// CanonicalMessage is the exact bytes of m that its chain hash covers: its
// conversation, seq, sender (kind and id; names can be corrected later),
// time, urgent mark, text, and each file's name, size and SHA-256, in
// order. Free text is written with its byte length first, so no text can
// pass for another field.
func CanonicalMessage(m Message) []byte {
	var b bytes.Buffer
	b.WriteString(ChainVersion + "\n")
	fmt.Fprintf(&b, "conversation %d\n", m.ConversationID)
	fmt.Fprintf(&b, "seq %d\n", m.Seq)
	fmt.Fprintf(&b, "sender %s %d\n", m.Sender.Kind, m.Sender.ID)
	fmt.Fprintf(&b, "time %s\n", m.CreatedAt.UTC().Format(ChainTimeLayout))
	urgent := 0
	if m.Urgent {
		urgent = 1
	}
	fmt.Fprintf(&b, "urgent %d\n", urgent)
	fmt.Fprintf(&b, "text %d\n", len(m.Text))
	b.WriteString(m.Text)
	b.WriteString("\n")
	fmt.Fprintf(&b, "files %d\n", len(m.Files))
	for _, f := range m.Files {
		fmt.Fprintf(&b, "file %s %d %d\n", strings.ToLower(f.SHA256), f.Size, len(f.Name))
		b.WriteString(f.Name)
		b.WriteString("\n")
	}
	return b.Bytes()
}

// ChainHash is the hash of a message whose predecessor's hash is prev (nil
// or empty for the first message of a conversation).
func ChainHash(prev []byte, m Message) []byte {
	h := sha256.New()
	if len(prev) == 0 {
		prev = make([]byte, sha256.Size)
	}
	h.Write(prev)
	h.Write(CanonicalMessage(m))
	return h.Sum(nil)
}

// ChainProblem is one place where a conversation's history no longer
// matches its chain: the seq it starts at and what was found there.
type ChainProblem struct {
	ConversationID int64  `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Problem        string `json:"problem"`
}

func (p ChainProblem) String() string {
	return fmt.Sprintf("conversation %d, message %d: %s", p.ConversationID, p.Seq, p.Problem)
}

// What CheckChain and CheckHead report.
const (
	ChainChanged      = "This message is not the one that was stored: its text, time, sender, urgent mark or files were changed."
	ChainNoHash       = "This message has no recorded hash."
	ChainDuplicate    = "This message appears twice."
	ChainOtherConv    = "This message belongs to another conversation."
	ChainHeadDiffers  = "The history up to this message is not what the server signed."
	ChainShorterThanS = "The history stops before the message the server signed."
)

// ChainMissing says which messages are missing before one that is there.
func ChainMissing(from, to int64) string {
	if from == to {
		return fmt.Sprintf("Message %d is missing.", from)
	}
	return fmt.Sprintf("Messages %d to %d are missing.", from, to)
}

// CheckChain recomputes the chain of one conversation's messages (in seq
// order, whatever order they come in) and compares each message with the
// hash recorded with it (Message.Hash, hex), which is checked from the
// recorded hash of the message before: so one changed message is reported
// once, by its seq, and not again at every message after it. Gaps and
// repeats are reported too. heads maps each seq to the hash recomputed from
// the first message on, for a signed head to be checked against
// (CheckHead): one that holds there holds for every message up to it.
func CheckChain(convID int64, msgs []Message) (heads map[int64][]byte, problems []ChainProblem) {
	return CheckChainAfter(convID, 0, nil, msgs)
}

// CheckChainTail finds what CheckChain cannot see from the messages alone,
// given the messages after seq after that a store holds for a conversation
// whose row counts lastSeq messages and records head as its newest hash:
// the newest messages gone (the conversation counted further), and a
// recorded head that is not the newest message's hash (the next message
// would be chained to it).
func CheckChainTail(convID, after, lastSeq int64, head []byte, msgs []Message) []ChainProblem {
	last := after
	var lastHash string
	if n := len(msgs); n > 0 {
		last, lastHash = msgs[n-1].Seq, msgs[n-1].Hash
	}
	switch {
	case last < lastSeq:
		return []ChainProblem{{ConversationID: convID, Seq: last + 1, Problem: ChainMissing(last+1, lastSeq)}}
	case len(msgs) > 0 && lastHash != hex.EncodeToString(head):
		return []ChainProblem{{ConversationID: convID, Seq: last, Problem: ChainHeadNotLast}}
	}
	return nil
}

// CheckChainAfter is CheckChain over the messages after seq after only,
// whose hash (trusted: a signed head, say) is prev; heads then hold the
// hashes recomputed from prev.
func CheckChainAfter(convID, after int64, prev []byte, msgs []Message) (heads map[int64][]byte, problems []ChainProblem) {
	sorted := slices.Clone(msgs)
	slices.SortStableFunc(sorted, func(a, b Message) int { return cmp.Compare(a.Seq, b.Seq) })
	report := func(seq int64, what string) {
		problems = append(problems, ChainProblem{ConversationID: convID, Seq: seq, Problem: what})
	}
	heads = make(map[int64][]byte, len(sorted))
	full, recorded := prev, prev
	want := after + 1
	for _, m := range sorted {
		if m.ConversationID != convID {
			report(m.Seq, ChainOtherConv)
			continue
		}
		if m.Seq < want {
			report(m.Seq, ChainDuplicate)
			continue
		}
		gap := m.Seq > want
		if gap {
			report(want, ChainMissing(want, m.Seq-1))
		}
		full = ChainHash(full, m)
		heads[m.Seq] = full
		own := ChainHash(recorded, m)
		rec, err := hex.DecodeString(m.Hash)
		switch {
		case m.Hash == "" || err != nil || len(rec) != sha256.Size:
			report(m.Seq, ChainNoHash)
			rec = own
		case !gap && !bytes.Equal(own, rec):
			report(m.Seq, ChainChanged)
		}
		recorded = rec
		want = m.Seq + 1
	}
	return heads, problems
}

// HeadStatement is what the server signs: at a moment, the chain of a
// conversation reached seq with the hash head.
type HeadStatement struct {
	ServerID       string    `json:"server_id"`
	ConversationID int64     `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	Head           string    `json:"head"` // hex; empty for a conversation with no message yet
	SignedAt       time.Time `json:"signed_at"`
}

// Bytes are the exact bytes signed.
func (s HeadStatement) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(ChainVersion + " head\n")
	fmt.Fprintf(&b, "server %s\n", s.ServerID)
	fmt.Fprintf(&b, "conversation %d\n", s.ConversationID)
	fmt.Fprintf(&b, "seq %d\n", s.Seq)
	fmt.Fprintf(&b, "head %s\n", strings.ToLower(s.Head))
	fmt.Fprintf(&b, "signed_at %s\n", s.SignedAt.UTC().Format(ChainTimeLayout))
	return b.Bytes()
}

// SignedHead is a HeadStatement with the server's signature over its bytes
// and the public key to check it with (both standard base64).
type SignedHead struct {
	HeadStatement
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

// SignHead signs s with key.
func SignHead(s HeadStatement, key ed25519.PrivateKey) SignedHead {
	pub := key.Public().(ed25519.PublicKey)
	return SignedHead{HeadStatement: s, PublicKey: base64.StdEncoding.EncodeToString(pub),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, s.Bytes()))}
}

// Sentences of a signature that does not hold.
var (
	ErrBadSignature = Errorf(EINVALID, "The server's signature does not match this history: it was made for something else, or with another key.")
	ErrOtherKey     = Errorf(EINVALID, "The history is signed with a key that is not this server's.")
)

// Verify checks the signature against the statement and the public key it
// carries; with trusted set, that key must also be trusted (the server's
// own, as its fingerprint shows).
func (s SignedHead) Verify(trusted ed25519.PublicKey) error {
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ErrBadSignature
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(pub), s.Bytes(), sig) {
		return ErrBadSignature
	}
	if trusted != nil && !bytes.Equal(trusted, pub) {
		return ErrOtherKey
	}
	return nil
}

// CheckHead compares a signed head with the hash recomputed for its seq
// (heads from CheckChain).
func CheckHead(s HeadStatement, heads map[int64][]byte) []ChainProblem {
	if s.Seq == 0 {
		return nil
	}
	h, ok := heads[s.Seq]
	switch {
	case !ok:
		return []ChainProblem{{ConversationID: s.ConversationID, Seq: s.Seq, Problem: ChainShorterThanS}}
	case !strings.EqualFold(hex.EncodeToString(h), s.Head):
		return []ChainProblem{{ConversationID: s.ConversationID, Seq: s.Seq, Problem: ChainHeadDiffers}}
	}
	return nil
}

// KeyFingerprint is how people compare a server's public key: the first
// 16 bytes of its SHA-256, in groups of four hex digits
// ("3F2A 9C01 …").
func KeyFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	digits := strings.ToUpper(hex.EncodeToString(sum[:16]))
	groups := make([]string, 0, len(digits)/4)
	for i := 0; i < len(digits); i += 4 {
		groups = append(groups, digits[i:i+4])
	}
	return strings.Join(groups, " ")
}

// ParsePublicKey reads a public key as SignedHead carries it.
func ParsePublicKey(b64 string) (ed25519.PublicKey, error) {
	pub, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, Errorf(EINVALID, "This is not a server's public key.")
	}
	return ed25519.PublicKey(pub), nil
}

// ChainReport is what a check of every conversation's chain found (see
// ChainAudit): how much it checked, and every problem, pinpointed by
// conversation and seq, in conversation order, then seq order.
type ChainReport struct {
	Conversations, Messages, Files, Signatures int
	Problems                                   []ChainProblem
}

// FileCheck says what is wrong with a stored file given what its store
// recorded of it: "" when nothing (it is there and its bytes match),
// otherwise ChainFileMissing or ChainFileChanged. Each store knows where
// its bytes are; what a mismatch means is decided here.
type FileCheck func(storageName string, size int64, sha256 string) string

// StoredChain is one conversation's chain as a store holds it, for
// ChainAudit.Check.
type StoredChain struct {
	ConversationID int64
	LastSeq        int64  // how many messages the conversation's row counts
	Head           []byte // the newest hash the conversation's row records
	// Messages are the conversation's messages in seq order, each with its
	// recorded Hash and its Files.
	Messages []Message
	// Storage names where each message's files are kept: Storage[i][j]
	// holds Messages[i].Files[j].
	Storage    [][]string
	Signatures []SignedHead // every signature of its head, oldest seq first
	// SignedSeq is the seq the conversation's row says its newest
	// signature covers (0: none, or not known).
	SignedSeq int64
}

// ChainAudit checks a store's conversations one at a time against their
// chains, their files and the server's signatures, and adds up the report.
// Both stores' whole-database checks go through it, so they report the
// same problems in the same order.
type ChainAudit struct {
	trusted   ed25519.PublicKey
	checkFile FileCheck
	files     map[string]string // storage name → what is wrong with it
	report    ChainReport
}

// NewChainAudit starts an audit whose signatures must verify with trusted
// (the server's key; nil: the key each carries) and whose files are
// checked with checkFile, once per stored file (nil: not checked).
func NewChainAudit(trusted ed25519.PublicKey, checkFile FileCheck) *ChainAudit {
	return &ChainAudit{trusted: trusted, checkFile: checkFile, files: map[string]string{}}
}

// Check recomputes c's chain from its messages and compares it with the
// hashes recorded (CheckChain), with the conversation's recorded head and
// last seq (CheckChainTail), with its stored files, and with every
// signature of it: each must verify and match the history up to its seq
// (CheckHead). Where signatures no longer match, the newest that still
// does and the oldest that does not say where the history changed.
func (a *ChainAudit) Check(c StoredChain) {
	var files []ChainProblem
	if a.checkFile != nil {
		files = a.fileProblems(c)
	}
	_, problems := checkStoredChain(c, a.trusted, files)
	a.report.Problems = append(a.report.Problems, problems...)
	a.report.Conversations++
	a.report.Messages += len(c.Messages)
	a.report.Signatures += len(c.Signatures)
}

// CheckStoredChain is the check of one conversation's whole chain that
// both ChainAudit (every conversation, with its files) and signing on
// request (one conversation, before its head is signed) make: its messages
// from the first on against the hashes recorded (CheckChain), its row's
// recorded head and last seq (CheckChainTail), the newest signature its
// row says it has, and every signature, which must verify with trusted
// (nil: the key each carries) and match the history up to its seq. head
// is the hash recomputed at the newest message (nil: none); problems are
// in seq order.
func CheckStoredChain(c StoredChain, trusted ed25519.PublicKey) (head []byte, problems []ChainProblem) {
	return checkStoredChain(c, trusted, nil)
}

// checkStoredChain is CheckStoredChain with the problems of c's stored
// files (found by the caller), which at one seq come before its
// signatures'.
func checkStoredChain(c StoredChain, trusted ed25519.PublicKey, files []ChainProblem) (head []byte, problems []ChainProblem) {
	heads, problems := CheckChain(c.ConversationID, c.Messages)
	problems = append(problems, CheckChainTail(c.ConversationID, 0, c.LastSeq, c.Head, c.Messages)...)
	problems = append(problems, files...)
	if c.SignedSeq > 0 && !slices.ContainsFunc(c.Signatures, func(s SignedHead) bool { return s.Seq == c.SignedSeq }) {
		problems = append(problems, ChainProblem{ConversationID: c.ConversationID, Seq: c.SignedSeq, Problem: ChainSignatureGone})
	}
	problems = append(problems, signatureProblems(c.ConversationID, c.Signatures, heads, trusted)...)
	slices.SortStableFunc(problems, func(x, y ChainProblem) int { return cmp.Compare(x.Seq, y.Seq) })
	if n := len(c.Messages); n > 0 {
		head = heads[slices.MaxFunc(c.Messages, func(x, y Message) int { return cmp.Compare(x.Seq, y.Seq) }).Seq]
	}
	return head, problems
}

// Report is what the audit found so far.
func (a *ChainAudit) Report() ChainReport {
	r := a.report
	r.Files = len(a.files)
	return r
}

// fileProblems checks the files each message of c carries, each stored
// file once however many messages carry it.
func (a *ChainAudit) fileProblems(c StoredChain) []ChainProblem {
	var out []ChainProblem
	for i, m := range c.Messages {
		for j, name := range c.Storage[i] {
			what, ok := a.files[name]
			if !ok {
				what = a.checkFile(name, m.Files[j].Size, m.Files[j].SHA256)
				a.files[name] = what
			}
			if what != "" {
				out = append(out, ChainProblem{ConversationID: c.ConversationID, Seq: m.Seq, Problem: what})
			}
		}
	}
	return out
}

// signatureProblems checks each signature against trusted and the
// recomputed heads, and narrows down where a history they no longer match
// changed.
func signatureProblems(convID int64, signatures []SignedHead, heads map[int64][]byte, trusted ed25519.PublicKey) []ChainProblem {
	var out []ChainProblem
	var holds, fails []int64 // seqs of valid signatures that match, and that do not
	for _, s := range signatures {
		if err := s.Verify(trusted); err != nil {
			out = append(out, ChainProblem{ConversationID: convID, Seq: s.Seq, Problem: ErrorMessage(err)})
			continue
		}
		if ps := CheckHead(s.HeadStatement, heads); ps != nil {
			out = append(out, ps...)
			fails = append(fails, s.Seq)
		} else if s.Seq > 0 {
			holds = append(holds, s.Seq)
		}
	}
	if len(fails) > 0 {
		to := slices.Min(fails)
		var from int64
		for _, h := range holds {
			if h < to {
				from = max(from, h)
			}
		}
		out = append(out, ChainProblem{ConversationID: convID, Seq: to, Problem: ChainChangedBetween(from, to)})
	}
	return out
}
