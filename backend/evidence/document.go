package evidence

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Document is what conversation.html and conversation.pdf show, made from
// the manifest and messages.json alone (newDocument), so that a check can
// draw the documents again from what it reads and compare.
type Document struct {
	Title        string
	Organisation string
	Exporter     string
	ExportedAt   string // UTC
	// Exported is the same moment, for what a document records of its
	// own making (a PDF's creation date).
	Exported    time.Time
	TimeZone    string // the zone message times are shown in
	AppVersion  string
	ServerID    string
	Fingerprint string
	Place       string
	Tenants     []Tenant
	HeadSeq     int64
	Head        string // hex
	Signature   string // a sentence: who signed what, when
	// Notes say what the conversation's export lacks.
	Notes    []string
	Messages []DocMessage
}

// DocMessage is one message as the documents show it.
type DocMessage struct {
	Seq    int64
	Time   string // in the landlord's zone, with its offset
	Sender string
	Role   string // Landlord or Tenant
	Urgent bool
	Text   string // with its overrides visible (VisibleText)
	Files  []DocFile
}

// DocFile is a file a message shares, as the documents list it.
type DocFile struct {
	Name string // visible (VisibleName)
	// Path is where the file is, from the export's root; Href the same
	// from the document's folder. Both "" when the file is missing.
	Path   string
	Href   string
	Size   int64
	SHA256 string
}

// Role names a sender's side.
func Role(kind string) string {
	if kind == "tenant" {
		return "Tenant"
	}
	return "Landlord"
}

// newDocument is the document of conversation c of manifest m, whose
// messages are recs (in seq order).
func newDocument(m *Manifest, c *ConversationEntry, recs []Record) *Document {
	d := &Document{
		Title:        c.Title,
		Organisation: m.Organisation,
		Exporter:     m.Exporter,
		ExportedAt:   m.ExportedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Exported:     m.ExportedAt.UTC(),
		TimeZone:     m.TimeZone,
		AppVersion:   m.AppVersion,
		ServerID:     m.Server.ID,
		Fingerprint:  m.Server.Fingerprint,
		Place:        c.Place,
		Tenants:      c.Tenants,
		HeadSeq:      c.LastSeq,
		Head:         c.Head,
		Signature:    signatureSentence(c),
		Notes:        conversationNotes(c),
	}
	d.Messages = make([]DocMessage, 0, len(recs))
	for _, r := range recs {
		dm := DocMessage{Seq: r.Seq, Time: r.ShownTime, Sender: r.Sender.Name, Role: Role(string(r.Sender.Kind)), Urgent: r.Urgent, Text: VisibleText(r.Text)}
		for _, f := range r.Files {
			df := DocFile{Name: VisibleName(f.Name), Path: f.Path, Size: f.Size, SHA256: f.SHA256}
			if f.Path != "" {
				df.Href = strings.TrimPrefix(f.Path, c.Folder+"/")
			}
			dm.Files = append(dm.Files, df)
		}
		d.Messages = append(d.Messages, dm)
	}
	return d
}

// conversationNotes say what an exported conversation lacks: messages,
// tenant records, files, a signature over its last messages.
func conversationNotes(c *ConversationEntry) []string {
	var notes []string
	for _, r := range c.MissingMessages {
		notes = append(notes, missingMessagesSentence(c.Title, r))
	}
	if len(c.MissingTenants) > 0 {
		notes = append(notes, missingTenantsSentence(c.Title, c.MissingTenants))
	}
	for _, reason := range []MissingReason{MissingOffline, MissingRefused} {
		var names []string
		for _, f := range c.MissingFiles {
			if f.Reason == reason {
				names = append(names, f.Name)
			}
		}
		if s := MissingFilesSentence(reason, names); s != "" {
			notes = append(notes, s)
		}
	}
	if h := c.SignedHead; h != nil && c.Signature != NotSigned && h.Seq < c.LastSeq {
		notes = append(notes, unsignedTail(h.Seq, c.LastSeq))
	}
	return notes
}

// ShortHead names a conversation's chain head in a few characters, as a
// running header names the history a printed page belongs to: "chain
// head: message 10, 3fa9c1d2e4b5a6f7…". The full hash is on the first
// page and in the manifest.
func ShortHead(seq int64, head string) string {
	if head == "" {
		return "chain head: no message"
	}
	if len(head) > 16 {
		head = head[:16] + "…"
	}
	return fmt.Sprintf("chain head: message %d, %s", seq, head)
}

// Size is a file's size for people: "2.4 MB", "812 KB", "90 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	case n == 1:
		return "1 byte"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// LeaseLine is a lease as the documents write it, on one line: "Maple
// Court · 2B, 2025-01-01 to 2025-12-31".
func LeaseLine(l LeaseTerms) string {
	where := strings.Join(slices.DeleteFunc([]string{l.Property, l.Unit}, func(s string) bool { return s == "" }), " · ")
	end := l.End
	if end == "" {
		end = "open-ended"
	}
	line := fmt.Sprintf("%s, %s to %s", where, l.Start, end)
	if l.Address != "" {
		line += " (" + l.Address + ")"
	}
	return line
}
