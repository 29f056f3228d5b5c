package backend

import (
	"errors"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error codes of the chat rules.
const (
	EUNAUTHORIZED         = "unauthorized"           // no session, or an expired, revoked or forged one
	EFORBIDDEN            = "forbidden"              // signed in, but this is not for you
	EMAINUSERONLY         = "main_user_only"         // a landlord sub-user tried to chat
	ETENANTCANNOTINITIATE = "tenant_cannot_initiate" // a tenant tried to start a chat
	ETENANTNOTACTIVE      = "tenant_not_active"      // the tenant's lease is not Active
	ENOTAMEMBER           = "not_a_member"           // not part of that conversation
	ECONFLICT             = "conflict"               // the request clashes with what is stored
)

// MaxMessageRunes is the longest message text, in characters.
const MaxMessageRunes = 10_000

// MaxPageSize is the most messages one page returns.
const MaxPageSize = 100

// PrincipalKind tells landlord-side users from tenants.
type PrincipalKind string

// The two kinds of principal.
const (
	KindUser   PrincipalKind = "user"
	KindTenant PrincipalKind = "tenant"
)

// Principal is who is making a request: a landlord-side user (main or
// sub-user) or a tenant, always within one organisation.
type Principal struct {
	Kind   PrincipalKind `json:"kind"`
	ID     int64         `json:"id"`
	OrgID  int64         `json:"org_id"`
	Name   string        `json:"name"`
	Email  string        `json:"email"`
	IsMain bool          `json:"is_main"` // users only: the organisation's main account
	// Session is the session the request came with; set by the store's
	// Authenticate, never sent.
	Session SessionRef `json:"-"`
}

// CanChatAsLandlord reports whether p may use the landlord's chat endpoints.
func (p Principal) CanChatAsLandlord() error {
	if p.Kind != KindUser {
		return Errorf(EFORBIDDEN, "This is for the landlord's account.")
	}
	return p.MayChat()
}

// MayChat refuses a landlord sub-user, who gets main_user_only from every
// chat endpoint (conversations, messages, files, uploads, the delivery log,
// live events) before anything else is looked at, so the answer never
// depends on the method or on whether the thing asked for exists. Main
// users and tenants pass; what each may do is decided further on.
func (p Principal) MayChat() error {
	if p.Kind == KindUser && !p.IsMain {
		return Errorf(EMAINUSERONLY, "Chat is available to the main account only.")
	}
	return nil
}

// Recipient is who an event is for: a landlord-side user or a tenant.
type Recipient struct {
	Kind PrincipalKind
	ID   int64
}

// Recipient is p as the receiver of events.
func (p Principal) Recipient() Recipient { return Recipient{Kind: p.Kind, ID: p.ID} }

// Delivery is one stored event for one recipient, handed to the live
// fan-out once it is durable.
type Delivery struct {
	To    Recipient
	Event Event
}

// Me is the answer of GET /api/v1/me.
type Me struct {
	Principal
	OrgName  string `json:"org_name"`
	TimeZone string `json:"time_zone"`
	// Currency is the organisation's currency (ISO 4217, e.g. "USD"):
	// rents and deposits are in it.
	Currency string `json:"currency"`
	// Locale is the organisation's (a BCP 47 tag, e.g. "en-US"): filled
	// templates write dates and money in it (see ResolveLocale).
	Locale string `json:"locale"`
	// Language is a tenant's own ("en", "es"; "" while not set); empty
	// for a landlord user.
	Language string `json:"language,omitempty"`
	// SessionTag names the session the request came with (see the
	// function SessionTag), so a page can tell it from one begun since;
	// set by GET /me only.
	SessionTag string `json:"session,omitempty"`
}

// Session is a signed-in session. The token is shown once, when created.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Me        Me        `json:"me"`
}

// LeaseStatus is computed from a lease's dates and today's date in the
// landlord's time zone; it is never stored.
type LeaseStatus string

// Lease statuses, as the landlord sees them.
const (
	LeaseActive  LeaseStatus = "active"
	LeaseExpired LeaseStatus = "expired"
	LeaseFuture  LeaseStatus = "future"
)

// DateLayout is how lease dates are written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// StatusOn returns the status of a lease from start to end (end "" = open
// ended) on the date today; all three are YYYY-MM-DD, which compare as text.
func StatusOn(start, end, today string) LeaseStatus {
	switch {
	case today < start:
		return LeaseFuture
	case end != "" && today > end:
		return LeaseExpired
	default:
		return LeaseActive
	}
}

// Today is the date in loc at t, as YYYY-MM-DD.
func Today(t time.Time, loc *time.Location) string { return t.In(loc).Format(DateLayout) }

// Lease is one lease of a unit.
type Lease struct {
	ID           int64       `json:"id"`
	UnitID       int64       `json:"unit_id"`
	UnitName     string      `json:"unit_name"`
	PropertyID   int64       `json:"property_id"`
	PropertyName string      `json:"property_name"`
	Address      string      `json:"address"`
	Start        string      `json:"start"`
	End          string      `json:"end,omitempty"`
	Status       LeaseStatus `json:"status"`
	RentCents    int64       `json:"rent_cents"`
	DepositCents int64       `json:"deposit_cents"`
	Tenants      []TenantRef `json:"tenants"` // everyone on the lease
}

// TenantRef names a tenant.
type TenantRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// DirectoryTenant is a tenant as the New Chat "To" field lists them.
type DirectoryTenant struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
	// Language is the one the tenant reads Doorstep in ("en", "es"; ""
	// while not set: their browser's).
	Language string  `json:"language,omitempty"`
	Leases   []Lease `json:"leases"`
	CanChat  bool    `json:"can_chat"`
	Reason   string  `json:"reason,omitempty"` // why not, when CanChat is false
}

// DirectoryUnit is a unit as the "To" field lists them (a group chat).
type DirectoryUnit struct {
	ID            int64       `json:"id"`
	Name          string      `json:"name"`
	PropertyID    int64       `json:"property_id"`
	PropertyName  string      `json:"property_name"`
	Address       string      `json:"address"`
	ActiveTenants []TenantRef `json:"active_tenants"`
	CanChat       bool        `json:"can_chat"`
	Reason        string      `json:"reason,omitempty"`
}

// Directory is the answer of GET /api/v1/directory.
type Directory struct {
	Tenants []DirectoryTenant `json:"tenants"`
	Units   []DirectoryUnit   `json:"units"`
}

// TenantRecord is everything the landlord knows about a tenant.
type TenantRecord struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
	// Language is the one the tenant reads Doorstep in ("en", "es"; ""
	// while not set: the portal follows their browser).
	Language string  `json:"language,omitempty"`
	Leases   []Lease `json:"leases"` // newest first
	// MoveIn is the start of the tenant's earliest lease.
	MoveIn string `json:"move_in,omitempty"`
}

// Conversation kinds.
const (
	ConversationDirect = "direct" // landlord and one tenant
	ConversationGroup  = "group"  // landlord and the tenants of one unit
)

// Conversation is a chat thread.
type Conversation struct {
	ID       int64       `json:"id"`
	Kind     string      `json:"kind"`
	Title    string      `json:"title"`
	TenantID int64       `json:"tenant_id,omitempty"`
	UnitID   int64       `json:"unit_id,omitempty"`
	Members  []TenantRef `json:"members"`
	// Place is the tenant's unit ("Property · Unit") in a one-to-one chat,
	// from their newest Active lease; empty when none is Active.
	Place     string    `json:"place,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	LastSeq   int64     `json:"last_seq"`
	ReadSeq   int64     `json:"read_seq"` // the caller's
	Unread    int64     `json:"unread"`   // messages from others after ReadSeq
	// Reads are how far each member has read, for the landlord's read
	// receipts (see Chat.Reads); a tenant is shown no one's.
	Reads       []ReadPosition `json:"reads,omitempty"`
	LastMessage *Message       `json:"last_message,omitempty"`
	// ReadOnly is set, for a tenant, once their lease is no longer Active:
	// they keep reading what was written until then but cannot write.
	// ReadOnlyReason says so in a sentence.
	ReadOnly       bool   `json:"read_only,omitempty"`
	ReadOnlyReason string `json:"read_only_reason,omitempty"`
}

// StartConversation is the body of POST /api/v1/conversations: exactly one
// of TenantID (a one-to-one chat) or UnitID (a unit group chat).
type StartConversation struct {
	TenantID int64 `json:"tenant_id,omitempty"`
	UnitID   int64 `json:"unit_id,omitempty"`
}

// Validate checks the shape of the request.
func (s StartConversation) Validate() error {
	if (s.TenantID == 0) == (s.UnitID == 0) {
		return Errorf(EINVALID, "Choose either a tenant or a unit to chat with.")
	}
	if s.TenantID < 0 || s.UnitID < 0 {
		return Errorf(EINVALID, "That id is not valid.")
	}
	return nil
}

// Sender names who wrote a message.
type Sender struct {
	Kind PrincipalKind `json:"kind"`
	ID   int64         `json:"id"`
	Name string        `json:"name"`
}

// Message is one message of a conversation.
type Message struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	Seq            int64  `json:"seq"` // 1, 2, 3… within the conversation
	Sender         Sender `json:"sender"`
	Text           string `json:"text"`
	Files          []File `json:"files"`
	Key            string `json:"key"` // the sender's idempotency key
	// Hash is the message's link in its conversation's chain (hex; see
	// ChainHash), as the server computed it when it stored the message.
	Hash      string    `json:"hash,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Urgent: the tenant who wrote it marked it as an emergency.
	Urgent bool `json:"urgent,omitempty"`
}

// SendMessage is the body of POST /api/v1/conversations/{id}/messages.
type SendMessage struct {
	Key     string  `json:"key"`
	Text    string  `json:"text"`
	FileIDs []int64 `json:"file_ids,omitempty"`
	// Urgent marks an emergency; only tenants may (see MayMarkUrgent).
	Urgent bool `json:"urgent,omitempty"`
}

// MaxFilesPerMessage bounds attachments on one message.
const MaxFilesPerMessage = 10

// Validate checks a message before anything is stored.
func (m SendMessage) Validate() error {
	if n := len(m.Key); n < 8 || n > 128 {
		return Errorf(EINVALID, "The message key must be 8 to 128 characters.")
	}
	for _, r := range m.Key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Errorf(EINVALID, "The message key may hold only letters, digits, '-' and '_'.")
		}
	}
	if !utf8.ValidString(m.Text) {
		return Errorf(EINVALID, "The message is not valid UTF-8 text.")
	}
	// Control characters: C0, DEL and C1 (U+0080–U+009F, where U+009B
	// begins a terminal escape sequence as ESC [ does), all but tab and
	// line breaks.
	for _, r := range m.Text {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return Errorf(EINVALID, "The message holds control characters.")
		}
	}
	if utf8.RuneCountInString(m.Text) > MaxMessageRunes {
		return Errorf(ETOOLARGE, "A message can be at most %d characters.", MaxMessageRunes)
	}
	if isBlank(m.Text) && len(m.FileIDs) == 0 {
		return Errorf(EINVALID, "The message is empty.")
	}
	if len(m.FileIDs) > MaxFilesPerMessage {
		return Errorf(ETOOLARGE, "A message can carry at most %d files.", MaxFilesPerMessage)
	}
	seen := map[int64]bool{}
	for _, id := range m.FileIDs {
		if id <= 0 || seen[id] {
			return Errorf(EINVALID, "The list of files is not valid.")
		}
		seen[id] = true
	}
	return nil
}

func isBlank(s string) bool {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\u00a0', '\u200b', '\ufeff':
		default:
			return false
		}
	}
	return true
}

// File is an uploaded file's metadata.
type File struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Uploader    Sender    `json:"uploader"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewFile is an uploaded file's metadata, as the file store wrote it.
type NewFile struct {
	Name        string // already sanitised
	Size        int64
	SHA256      string
	ContentType string // sniffed
	StorageName string // made by the server
}

// NewUpload is the body of POST /api/v1/uploads, which begins a resumable
// upload: the file's name, its exact size and its SHA-256 (lower-case hex),
// checked when the last byte arrives.
type NewUpload struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Upload is a resumable upload under way: the server holds its first
// Offset bytes of Size. File is set once the last byte is in.
type Upload struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	File   *File  `json:"file,omitempty"`
}

// SharedFile is a file as listed by View Files: where and when it was shared.
type SharedFile struct {
	File
	MessageID int64     `json:"message_id"`
	Seq       int64     `json:"seq"`
	SharedBy  Sender    `json:"shared_by"`
	SharedAt  time.Time `json:"shared_at"`
}

// Event types sent over the events websocket.
const (
	EventConversation = "conversation" // a conversation was started, or its members changed
	EventMessage      = "message"      // a new message
	EventRead         = "read"         // a member's read position moved
	EventResync       = "resync"       // the `since` asked for is older than the server keeps, or newer than its history
	EventReady        = "ready"        // the replay is over: what follows is live (its id is the last replayed)
	EventSettings     = "settings"     // the landlord user's attention settings changed (on any of their devices)
	EventTemplates    = "templates"    // the organisation's message templates changed (on any of the landlord's devices)
)

// ErrResync means the events asked for are no longer kept, or the client
// has seen events the server's history does not hold (it was restored from
// a backup): the client must reload its state and continue from the newest
// event id.
var ErrResync = errors.New("events since that id are no longer kept")

// Event is one thing a user or tenant is told. ID increases for each
// recipient; resume a stream with since=<last ID seen>.
type Event struct {
	ID           int64         `json:"id"`
	Type         string        `json:"type"`
	Conversation *Conversation `json:"conversation,omitempty"`
	Message      *Message      `json:"message,omitempty"`
	Read         *ReadPosition `json:"read,omitempty"`
	// Settings are the whole attention settings after a change.
	Settings *AttentionSettings `json:"settings,omitempty"`
	// Templates are the organisation's whole list of message templates
	// after a change (EventTemplates; empty when the last was deleted).
	Templates []Template `json:"templates,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// Prev is the id of the recipient's event before this one, when the
	// store knows it (0: not said). A live stream that has not delivered
	// Prev has missed an event (a node that stored it died before passing
	// it on) and reads the log before going on.
	Prev int64 `json:"prev,omitempty"`
}

// ReadPosition says how far a member has read a conversation.
type ReadPosition struct {
	ConversationID int64  `json:"conversation_id"`
	Reader         Sender `json:"reader"`
	Seq            int64  `json:"seq"`
	// MarkedUnread is set when the reader moved their position back with
	// Mark as unread: the one time a read position goes backwards.
	MarkedUnread bool `json:"marked_unread,omitempty"`
}

// MessagePage asks for a page of at most Limit messages (≤ MaxPageSize;
// 0: MaxPageSize), in sequence order. With neither Before nor After, the
// newest page. Before (≥ 1; 0: not asked) gives the page just before that
// seq. After gives the page just after that seq, and 0 is a real point, the
// start of the conversation: so After is a pointer, nil when not asked
// (MessagePage{After: new(int64(0))} is the first page). At most one of the
// two.
type MessagePage struct {
	Before int64
	After  *int64
	Limit  int
}

// ErrBeforeNotASeq refuses a page of messages before something that cannot
// be a message's seq (they start at 1).
var ErrBeforeNotASeq = Errorf(EINVALID, "before must be the seq of a message (1 or more).")

// Validate checks a page request before anything is read.
func (p MessagePage) Validate() error {
	switch {
	case p.Before != 0 && p.After != nil:
		return Errorf(EINVALID, "Ask for messages before or after a point, not both.")
	case p.Before < 0:
		return ErrBeforeNotASeq
	case p.After != nil && *p.After < 0:
		return Errorf(EINVALID, "after must be the seq of a message, or 0 for the start.")
	case p.Limit < 0 || p.Limit > MaxPageSize:
		return Errorf(EINVALID, "limit can be at most %d.", MaxPageSize)
	}
	return nil
}
