// Package evidence is the export of a conversation as a record that holds
// up in a dispute, and its check. (Not "export": the desktop's UI types are
// generated per Go package, and a TypeScript namespace cannot be named so.)
//
// An export is a folder or a .zip holding, for each conversation:
//
//	conversation.html   the thread to read and print (no script, images inline)
//	conversation.pdf    the same, for those who want a PDF (drawn by a PDFRenderer)
//	messages.json       every message as the chain covers it, with its recorded hash
//	files/              the files shared, under safe and unique names
//
// and once for the whole export manifest.json (the SHA-256 of every other
// file, the chain head of each conversation and the server's signature of
// it, what is missing) and HOW-TO-VERIFY.txt (in plain words, for a lawyer
// or a clerk). One conversation sits at the root; an export of several
// (every conversation with a tenant) gives each a folder of its own.
//
// Verifier checks one: the files against the manifest, the messages against
// their chain (backend.CheckChain), the chain against the signed head
// (backend.CheckHead, SignedHead.Verify), the files the messages share
// against their SHA-256, and the documents against what they show (they are
// drawn again from messages.json and compared). What it reports is said in
// sentences of this package. It reads only what it needs, within bounds,
// and never writes.
//
// The package is plain logic over files: the standard library, the domain
// and backend/filename. The PDF is drawn by a renderer passed in, so the
// PDF library stays in its adapter.
package evidence

import (
	"fmt"
	"io"
	"strings"
	"time"

	"doorstep/backend"
)

// Format names this layout; manifest.json and messages.json say it first.
const Format = "doorstep.export.v1"

// documentsVersion names how the documents (HTML, PDF, HOW-TO-VERIFY.txt)
// are drawn from the manifest and messages.json. It changes whenever their
// bytes would: Verifier draws them again, and compares, only for an export
// made by the same drawing (see Manifest.Documents).
const documentsVersion = "documents.2"

// The names of an export's files.
const (
	ManifestName = "manifest.json"
	HowToName    = "HOW-TO-VERIFY.txt"
	HTMLName     = "conversation.html"
	PDFName      = "conversation.pdf"
	MessagesName = "messages.json"
	FilesDir     = "files"
)

// Server is the server whose history an export holds, and the key that
// signs it.
type Server struct {
	ID          string `json:"id"`
	PublicKey   string `json:"public_key"` // ed25519, standard base64
	Fingerprint string `json:"fingerprint"`
}

// ServerFromKey is a server as its id and public key (base64) name it; the
// fingerprint is the key's. A key that cannot be read gives no fingerprint.
func ServerFromKey(id, publicKey string) Server {
	s := Server{ID: id, PublicKey: publicKey}
	if pub, err := backend.ParsePublicKey(publicKey); err == nil {
		s.Fingerprint = backend.KeyFingerprint(pub)
	}
	return s
}

// Signature says where a conversation's signed head came from.
type Signature string

// Where a signed head came from.
const (
	// SignedNow: the server signed the head for this export.
	SignedNow Signature = "signed_for_this_export"
	// SignedEarlier: the server could not be reached; the newest signed
	// head this computer kept stands in, covering the messages up to it.
	SignedEarlier Signature = "kept_from_earlier"
	// NotSigned: no signed head at all.
	NotSigned Signature = "none"
)

// Input is what an export is made of; the desktop gathers it.
type Input struct {
	Organisation string
	Exporter     string // the landlord user who exported
	ExportedAt   time.Time
	// Location is the landlord's time zone: the documents show each
	// message's time in it (and its offset from UTC).
	Location      *time.Location
	Server        Server
	Conversations []Conversation
}

// Conversation is one conversation to export.
type Conversation struct {
	Conversation backend.Conversation
	// Tenants are the records of its members, for the documents' header
	// (their leases: property, unit, term).
	Tenants []backend.TenantRecord
	// Messages are the messages held (any order; repeats are dropped),
	// each with its recorded hash.
	Messages  []backend.Message
	Signed    *backend.SignedHead
	Signature Signature
	// Files maps the SHA-256 of each file at hand to its local path (a
	// copy already checked against that SHA-256).
	Files map[string]string
	// Missing says, by SHA-256, why each file not at hand is missing.
	Missing map[string]MissingReason
	// MissingMessages are the seqs not held, when the server could not
	// give them.
	MissingMessages []SeqRange
	// MissingTenants are the members whose record was not at hand: the
	// documents cannot show their leases.
	MissingTenants []backend.TenantRef
}

// MissingReason is why a file is not in an export.
type MissingReason string

// Why a file is not in an export.
const (
	// MissingOffline: not on this computer, and the server could not be reached.
	MissingOffline MissingReason = "offline"
	// MissingRefused: not on this computer, and the server did not give it.
	MissingRefused MissingReason = "refused"
)

// SeqRange is the messages from From to To, both included.
type SeqRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// Manifest is manifest.json.
type Manifest struct {
	Format       string    `json:"format"`
	ExportedAt   time.Time `json:"exported_at"`
	Exporter     string    `json:"exporter"`
	Organisation string    `json:"organisation"`
	TimeZone     string    `json:"time_zone"`
	AppVersion   string    `json:"app_version"`
	// Documents names the drawing of the documents (documentsVersion and
	// the app version): a verifier with the same one draws them again and
	// compares.
	Documents     string              `json:"documents"`
	Server        Server              `json:"server"`
	Conversations []ConversationEntry `json:"conversations"`
	// Files is every file of the export but the manifest itself.
	Files []FileEntry `json:"files"`
	// Missing says, in sentences, what the export lacks and why.
	Missing []string `json:"missing"`
}

// ConversationEntry is one conversation in the manifest.
type ConversationEntry struct {
	// Folder holds the conversation's files ("" for the export's root).
	Folder   string              `json:"folder"`
	ID       int64               `json:"id"`
	Kind     string              `json:"kind"`
	Title    string              `json:"title"`
	Place    string              `json:"place,omitempty"`
	Members  []backend.TenantRef `json:"members"`
	Tenants  []Tenant            `json:"tenants"`
	Messages int                 `json:"messages"`
	LastSeq  int64               `json:"last_seq"`
	// Head is the recorded hash of the last message: the chain's head.
	Head       string              `json:"head"`
	SignedHead *backend.SignedHead `json:"signed_head"`
	Signature  Signature           `json:"signature"`
	// MissingMessages and MissingFiles were not at hand when exporting.
	MissingMessages []SeqRange    `json:"missing_messages,omitempty"`
	MissingFiles    []MissingFile `json:"missing_files,omitempty"`
	// MissingTenants are the members whose record (and so leases) was
	// not at hand: Tenants leaves them out.
	MissingTenants []backend.TenantRef `json:"missing_tenants,omitempty"`
}

// Tenant is a member of a conversation as the documents' header shows
// them: their name and leases.
type Tenant struct {
	Name   string       `json:"name"`
	Leases []LeaseTerms `json:"leases"`
}

// LeaseTerms is where and when a tenant rents.
type LeaseTerms struct {
	Property string `json:"property"`
	Unit     string `json:"unit"`
	Address  string `json:"address,omitempty"`
	Start    string `json:"start"`
	End      string `json:"end,omitempty"` // "" for an open-ended lease
}

// MissingFile is a file a message shares that the export lacks.
type MissingFile struct {
	Seq    int64         `json:"seq"`
	Name   string        `json:"name"`
	Size   int64         `json:"size"`
	SHA256 string        `json:"sha256"`
	Reason MissingReason `json:"reason"`
}

// FileEntry is one file of the export.
type FileEntry struct {
	Path   string `json:"path"` // slash-separated, from the export's root
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Messages is messages.json.
type Messages struct {
	Format         string   `json:"format"`
	ConversationID int64    `json:"conversation_id"`
	Messages       []Record `json:"messages"`
}

// Record is one message in messages.json: every field of its canonical
// form (backend.CanonicalMessage), its recorded hash, and what is shown but
// not chained (the sender's name, the time in the landlord's zone, where
// each file is in the export).
type Record struct {
	ID             int64          `json:"id"`
	ConversationID int64          `json:"conversation_id"`
	Seq            int64          `json:"seq"`
	Sender         backend.Sender `json:"sender"`
	// Time is as the chain writes it (backend.ChainTimeLayout, UTC).
	Time string `json:"time"`
	// ShownTime is the same moment in the landlord's zone, with its
	// offset: what the documents show.
	ShownTime string       `json:"shown_time"`
	Urgent    bool         `json:"urgent"`
	Text      string       `json:"text"`
	Files     []RecordFile `json:"files"`
	Hash      string       `json:"hash"`
}

// RecordFile is a file a message shares.
type RecordFile struct {
	Name        string `json:"name"` // as shared (chained)
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	// Path is where the file is in the export; "" when it is missing.
	Path string `json:"path"`
}

// shownTimeLayout is how ShownTime is written.
const shownTimeLayout = "2006-01-02 15:04:05 -07:00"

// Message is the record as the chain covers it.
func (r Record) Message() (backend.Message, error) {
	at, err := time.Parse(backend.ChainTimeLayout, r.Time)
	if err != nil {
		return backend.Message{}, fmt.Errorf("message %d: time %q: %w", r.Seq, r.Time, err)
	}
	m := backend.Message{ID: r.ID, ConversationID: r.ConversationID, Seq: r.Seq, Sender: r.Sender,
		Text: r.Text, Hash: r.Hash, CreatedAt: at, Urgent: r.Urgent}
	for _, f := range r.Files {
		m.Files = append(m.Files, backend.File{Name: f.Name, Size: f.Size, SHA256: f.SHA256, ContentType: f.ContentType})
	}
	return m, nil
}

// PDFRenderer draws a conversation's document as a PDF into w, reading the
// files it shows with open. It must give the same bytes for the same
// document and files: Verifier draws it again to compare.
type PDFRenderer func(w io.Writer, d *Document, open Opener) error

// Opener opens a file of the export by its path from the export's root.
type Opener func(path string) (io.ReadCloser, error)

// appVersion is the version an export records; a variable for the tests
// of an export made by another version.
var appVersion = func() string { return backend.Version }

// documents names the drawing of this version.
func documents() string { return documentsVersion + " " + appVersion() }

// joinPath joins slash paths from an export's root, "" being the root.
func joinPath(folder, name string) string {
	if folder == "" {
		return name
	}
	return folder + "/" + name
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// listNames lists names for a sentence: "a, b and c", at most max of them
// and "and 4 more".
func listNames(names []string, max int) string {
	shown := names
	more := 0
	if len(names) > max {
		shown, more = names[:max], len(names)-max
	}
	quoted := make([]string, len(shown))
	for i, n := range shown {
		quoted[i] = VisibleName(n)
	}
	switch {
	case more > 0:
		return strings.Join(quoted, ", ") + fmt.Sprintf(" and %d more", more)
	case len(quoted) == 1:
		return quoted[0]
	default:
		return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
	}
}
