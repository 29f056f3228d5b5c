package backend

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// The server's side of the chain (chain.go): its signing key, who may ask
// for a signed head, and what it says when it will not sign.

// ServerKey is the answer of GET /api/v1/server-key: the public half of the
// key the server signs conversation heads with, and its fingerprint, which
// people compare with the one the server's host prints
// (`doorstep-server key`).
type ServerKey struct {
	ServerID    string `json:"server_id"`
	PublicKey   string `json:"public_key"` // standard base64, 32 bytes
	Fingerprint string `json:"fingerprint"`
}

// NewServerKey describes pub as the key of the server serverID.
func NewServerKey(serverID string, pub ed25519.PublicKey) ServerKey {
	return ServerKey{ServerID: serverID, PublicKey: base64.StdEncoding.EncodeToString(pub), Fingerprint: KeyFingerprint(pub)}
}

// ChainStore keeps every conversation's hash chain and signs its head.
type ChainStore interface {
	// ServerKey is the server's public signing key.
	ServerKey(ctx context.Context) (ServerKey, error)
	// SignChainHead checks the whole chain of a conversation p may sign
	// for (MaySignChainHead), from its first message on and against every
	// earlier signature (CheckStoredChain), and signs and records its head
	// as it is now; a chain that no longer holds is not signed
	// (ErrChainBroken).
	SignChainHead(ctx context.Context, p Principal, convID int64) (SignedHead, error)
}

// ChainSigning is the periodic signer's side of a store.
type ChainSigning interface {
	// SignChangedHeads signs, in one write, the head of every conversation
	// with messages since its last signature whose chain still holds; it
	// returns how many it signed and the problems of those it did not.
	SignChangedHeads(ctx context.Context) (signed int, problems []ChainProblem, err error)
}

// SigningKeyRecord is where the nodes sharing a database agree on one
// signing key: the database records the fingerprint of the first key a
// node started with.
type SigningKeyRecord interface {
	// RecordSigningKey records fingerprint as the server's signing key
	// when none is recorded yet, or, with replace, in place of the one
	// that is; it returns the one recorded afterwards. Of two nodes
	// recording at once, the first wins.
	RecordSigningKey(ctx context.Context, fingerprint string, replace bool) (recorded string, err error)
}

// CheckSigningKey refuses to sign with a key (fingerprint mine) other than
// the one the database records: signatures from nodes with different keys
// could not all be checked against one server key.
func CheckSigningKey(recorded, mine string) error {
	if recorded == mine {
		return nil
	}
	return Errorf(EUNAVAILABLE,
		"This server's signing key (signing.key in the data directory, fingerprint %s) is not the one the database records (fingerprint %s): every server sharing the database must sign with the same key. Copy signing.key from a server that has the recorded key into this one's data directory; or, to sign from now on with this server's key (signatures made before will then show as made with another key), start it once with -new-signing-key.",
		mine, recorded)
}

// MaySignChainHead refuses whoever may not have a conversation's head
// signed: the main landlord user may, for the conversations they may read.
func (p Principal) MaySignChainHead() error { return p.CanChatAsLandlord() }

// ErrNoSigningKey answers a request for a signature from a server that was
// given no signing key.
var ErrNoSigningKey = Errorf(EUNAVAILABLE, "This server has no signing key, so it cannot sign its history.")

// ErrChainBroken refuses to sign a history that no longer matches its
// chain: a stored message or file changed after it was stored. The error
// it returns says where, for the log.
func ErrChainBroken(p ChainProblem) error {
	return fmt.Errorf("%s: %w", p, Errorf(ECONFLICT,
		"The stored history of this conversation no longer matches its hash chain from message %d on, so the server will not sign it. The server's administrator can find out more with doorstep-server verify-chain.", p.Seq))
}

// ErrSigningKeyUnusable refuses to start with a signing key file that
// cannot be read or is not a key: making another silently would leave
// every earlier signature unverifiable.
var ErrSigningKeyUnusable = Errorf(EUNAVAILABLE,
	"The server's signing key (signing.key in the data directory) cannot be read or is not an ed25519 private key. The server will not make another in its place, as that would leave its earlier signatures unverifiable: restore signing.key from a backup, or, to start over with a new key, move the file aside.")

// ErrSigningKeyMissing refuses to make a new signing key while the
// database holds signatures made with the one that is gone.
var ErrSigningKeyMissing = Errorf(EUNAVAILABLE,
	"The server's signing key (signing.key in the data directory) is missing, though the database holds signatures made with it. Restore signing.key from a backup; or, to start over with a new key (the earlier signatures will then show as made with another key), start the server once with -new-signing-key.")

// Sentences of doorstep-server verify-chain, beside CheckChain's.
const (
	// ChainFileMissing: a file a message carries is no longer stored.
	ChainFileMissing = "A file of this message is no longer stored."
	// ChainFileChanged: a stored file's bytes differ from its SHA-256.
	ChainFileChanged = "A file of this message was changed after it was stored: its bytes no longer match its recorded SHA-256."
	// ChainSignatureGone: the record of a signature the server made is gone.
	ChainSignatureGone = "The server's newest signature of this conversation, up to this message, is no longer stored."
	// ChainHeadNotLast: the hash a new message would be chained to is not
	// the newest message's.
	ChainHeadNotLast = "The conversation's recorded newest hash is not that of its newest message."
)

// ChainChangedBetween narrows down where a history signed more than once
// changed: after the newest signed head that still holds (from, 0 for
// none) and at or before the oldest that does not (to).
func ChainChangedBetween(from, to int64) string {
	if from == 0 {
		return fmt.Sprintf("The history changed at or before message %d: no signature of the server up to an earlier message holds.", to)
	}
	return fmt.Sprintf("The history changed after message %d and at or before message %d: the server's signature up to message %d holds, the one up to message %d does not.", from, to, from, to)
}
