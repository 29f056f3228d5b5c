package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// How long a session and a tenant's invite link last, by the store's clock.
const (
	SessionTTL = 30 * 24 * time.Hour
	InviteTTL  = 7 * 24 * time.Hour
)

// SessionRef identifies the session a principal was authenticated with, so
// that whatever the session opened (an events websocket) ends with it.
type SessionRef struct {
	// ID is the store's key for the session. It is not the token and does
	// not let anyone sign in, but it is no one's business: never sent.
	ID string
	// ExpiresAt is when the session ends unless it is signed out first,
	// measured by the store's clock.
	ExpiresAt time.Time
}

// SessionTag names a session for the page that uses it, without giving
// away its id: the same session always has the same tag, another session
// another one. The portal keeps it to end, once the server is reached
// again, the session it was signed out of while offline, and no other.
func SessionTag(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("doorstep session tag\x00" + id))
	return hex.EncodeToString(sum[:12])
}

// Ended reports whether the session is over at now (by the store's clock).
// A reference without an expiry counts as ended: a store that cannot say
// how long a session lasts must not get one that lasts for ever.
func (s SessionRef) Ended(now time.Time) bool {
	return s.ExpiresAt.IsZero() || !now.Before(s.ExpiresAt)
}

// Close codes of the events websocket, in the range RFC 6455 leaves to
// applications (4000–4999). Other closes are the standard ones: 1001 when
// the server shuts down, 1009 when the client sends too much.
const (
	// CloseTooSlow: the client did not keep up and was dropped; reconnect
	// with since=<last id seen>, nothing is lost.
	CloseTooSlow = 4000
	// CloseSessionEnded: the session the socket was opened with ended
	// (signed out, expired or revoked). Reconnecting is refused: sign in
	// again.
	CloseSessionEnded = 4001
)

// Reasons sent with the close codes; clients go by the code, people read these.
const (
	CloseReasonSessionEnded = "session ended"
)

// HistoryRestoredMessage is put on a message that waited to be sent while
// its server was restored from an earlier backup: the conversation it was
// written for may not be there any more, or may be another one.
const HistoryRestoredMessage = "Not sent: the server was restored from an earlier backup while this message waited. Check that it still belongs in this conversation, then send it again or discard it."

// SessionEndedMessage tells a person whose session ended what to do.
const SessionEndedMessage = "Your session has ended. Please sign in again."

// SignedOut tells the server's host whose sessions a revocation ended.
type SignedOut struct {
	Kind     PrincipalKind
	ID       int64
	Name     string
	OrgName  string
	Sessions int // how many sessions were still live and are now ended
}
