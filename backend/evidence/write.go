package evidence

import (
	"archive/zip"
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"doorstep/backend"
	"doorstep/backend/filename"
)

// Summary is what Write made.
type Summary struct {
	Path          string `json:"path"`
	Conversations int    `json:"conversations"`
	Messages      int    `json:"messages"`
	SharedFiles   int    `json:"sharedFiles"` // the files shared in the messages that it holds
	Files         int    `json:"files"`       // every file of the export but the manifest
	Bytes         int64  `json:"bytes"`       // of every file written, before zip compression
	// Missing says what the export lacks; Notes adds what its signatures
	// do not cover (made offline).
	Missing []string `json:"missing"`
	Notes   []string `json:"notes"`
}

// Sentence says what was exported: "Exported 10 messages and 5 files to
// Maria Garcia.zip."
func (s Summary) Sentence() string {
	what := plural(s.Messages, "message") + " and " + plural(s.SharedFiles, "file")
	if s.Conversations > 1 {
		what = plural(s.Conversations, "conversation") + " (" + what + ")"
	}
	return fmt.Sprintf("Exported %s to %s.", what, VisibleName(filepath.Base(s.Path)))
}

// IsZip reports whether an export at dest is written as a .zip (else a folder).
func IsZip(dest string) bool { return strings.EqualFold(filepath.Ext(dest), ".zip") }

// ErrDestinationTaken refuses to write into a folder that holds something.
var ErrDestinationTaken = backend.Errorf(backend.ECONFLICT, "There is already a folder of that name there, and it is not empty. Choose another name.")

// Write makes the export of in at dest: a .zip when dest ends in .zip,
// else a folder, which must not exist or be empty. Nothing is at dest until
// the whole export is written: it is made under a temporary name beside it
// and renamed. pdf draws conversation.pdf.
func Write(dest string, in Input, pdf PDFRenderer) (Summary, error) {
	dest = filepath.Clean(dest)
	m, plans, err := plan(in)
	if err != nil {
		return Summary{}, err
	}
	var out sink
	if IsZip(dest) {
		out, err = newZipSink(dest, in.ExportedAt)
	} else {
		out, err = newDirSink(dest)
	}
	if err != nil {
		return Summary{}, err
	}
	defer out.abort()
	sum := Summary{Path: dest, Conversations: len(plans), Missing: m.Missing, Notes: slices.Clone(m.Missing)}
	for _, p := range plans {
		if err := p.write(out, m, pdf); err != nil {
			return Summary{}, err
		}
		sum.Messages += len(p.records)
		sum.SharedFiles += len(p.sources)
		e := p.entry
		if e.Signature != SignedNow {
			sum.Notes = append(sum.Notes, e.Title+": "+signatureSentence(e))
		} else if e.SignedHead != nil && e.SignedHead.Seq < e.LastSeq {
			sum.Notes = append(sum.Notes, e.Title+": "+unsignedTail(e.SignedHead.Seq, e.LastSeq))
		}
	}
	if err := out.file(HowToName, func(w io.Writer) error { return writeHowTo(w, m) }); err != nil {
		return Summary{}, err
	}
	m.Files = out.written()
	if err := out.file(ManifestName, func(w io.Writer) error { return writeJSON(w, m) }); err != nil {
		return Summary{}, err
	}
	if err := out.commit(); err != nil {
		return Summary{}, err
	}
	for _, f := range m.Files {
		sum.Bytes += f.Size
	}
	sum.Files = len(m.Files)
	return sum, nil
}

// convPlan is one conversation laid out: its manifest entry, its records
// (with each file's place) and where each file comes from.
type convPlan struct {
	entry   *ConversationEntry
	records []Record
	sources map[string]string // path in the export → local path
}

// plan lays the export out: the manifest (without its list of files) and
// each conversation's records and files.
func plan(in Input) (*Manifest, []*convPlan, error) {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	m := &Manifest{Format: Format, ExportedAt: in.ExportedAt.UTC(), Exporter: in.Exporter, Organisation: in.Organisation,
		TimeZone: loc.String(), AppVersion: appVersion(), Documents: documents(), Server: in.Server, Missing: []string{}}
	var plans []*convPlan
	var offline, refused []string
	for i, c := range in.Conversations {
		folder := ""
		if len(in.Conversations) > 1 {
			folder = fmt.Sprintf("%02d %s", i+1, filename.Safe(c.Conversation.Title))
		}
		p, err := planConversation(c, folder, loc)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range p.entry.MissingFiles {
			if f.Reason == MissingRefused {
				refused = append(refused, f.Name)
			} else {
				offline = append(offline, f.Name)
			}
		}
		for _, r := range p.entry.MissingMessages {
			m.Missing = append(m.Missing, missingMessagesSentence(p.entry.Title, r))
		}
		if len(p.entry.MissingTenants) > 0 {
			m.Missing = append(m.Missing, missingTenantsSentence(p.entry.Title, p.entry.MissingTenants))
		}
		m.Conversations = append(m.Conversations, *p.entry)
		plans = append(plans, p)
	}
	for reason, names := range map[MissingReason][]string{MissingOffline: offline, MissingRefused: refused} {
		if s := MissingFilesSentence(reason, names); s != "" {
			m.Missing = append(m.Missing, s)
		}
	}
	slices.Sort(m.Missing)
	// The plans write what the manifest holds, now that it stopped growing.
	for i := range plans {
		plans[i].entry = &m.Conversations[i]
	}
	return m, plans, nil
}

func planConversation(c Conversation, folder string, loc *time.Location) (*convPlan, error) {
	conv := c.Conversation
	msgs := slices.Clone(c.Messages)
	slices.SortStableFunc(msgs, func(a, b backend.Message) int { return cmp.Compare(a.Seq, b.Seq) })
	msgs = slices.CompactFunc(msgs, func(a, b backend.Message) bool { return a.Seq == b.Seq })
	e := &ConversationEntry{Folder: folder, ID: conv.ID, Kind: conv.Kind, Title: conv.Title, Place: conv.Place,
		Members: conv.Members, Tenants: tenantsOf(conv, c.Tenants), Messages: len(msgs),
		SignedHead: c.Signed, Signature: c.Signature, MissingMessages: c.MissingMessages, MissingTenants: c.MissingTenants}
	if e.Members == nil {
		e.Members = []backend.TenantRef{}
	}
	if c.Signed == nil {
		e.Signature = NotSigned
	}
	if len(msgs) > 0 {
		e.LastSeq, e.Head = msgs[len(msgs)-1].Seq, msgs[len(msgs)-1].Hash
	}
	p := &convPlan{entry: e, sources: map[string]string{}}
	byHash := map[string]string{} // sha256 → path in the export: a file shared twice is there once
	taken := map[string]bool{}    // names in files/, folded: unique on every file system
	for _, msg := range msgs {
		r := Record{ID: msg.ID, ConversationID: msg.ConversationID, Seq: msg.Seq, Sender: msg.Sender,
			Time: msg.CreatedAt.UTC().Format(backend.ChainTimeLayout), ShownTime: msg.CreatedAt.In(loc).Format(shownTimeLayout),
			Urgent: msg.Urgent, Text: msg.Text, Files: []RecordFile{}, Hash: msg.Hash}
		for _, f := range msg.Files {
			rf := RecordFile{Name: f.Name, Size: f.Size, SHA256: strings.ToLower(f.SHA256), ContentType: f.ContentType}
			local, here := c.Files[rf.SHA256]
			switch {
			case byHash[rf.SHA256] != "":
				rf.Path = byHash[rf.SHA256]
			case here:
				rf.Path = joinPath(folder, FilesDir+"/"+uniqueName(f.Name, taken))
				byHash[rf.SHA256] = rf.Path
				p.sources[rf.Path] = local
			default:
				reason := c.Missing[rf.SHA256]
				if reason == "" {
					reason = MissingOffline
				}
				e.MissingFiles = append(e.MissingFiles, MissingFile{Seq: msg.Seq, Name: f.Name, Size: f.Size, SHA256: rf.SHA256, Reason: reason})
			}
			r.Files = append(r.Files, rf)
		}
		p.records = append(p.records, r)
	}
	return p, nil
}

// uniqueName is name made safe (filename.Safe) and unique among taken,
// compared without case as Windows and macOS do: "photo.jpg", then
// "photo (2).jpg".
func uniqueName(name string, taken map[string]bool) string {
	safe := filename.Safe(name)
	ext := filepath.Ext(safe)
	stem := strings.TrimSuffix(safe, ext)
	candidate := safe
	for n := 2; taken[strings.ToLower(candidate)]; n++ {
		candidate = fmt.Sprintf("%s (%d)%s", stem, n, ext)
	}
	taken[strings.ToLower(candidate)] = true
	return candidate
}

// tenantsOf are the conversation's tenants with the leases that matter to
// it: in a unit's group chat that unit's, else all of theirs (newest first).
func tenantsOf(conv backend.Conversation, records []backend.TenantRecord) []Tenant {
	out := []Tenant{}
	for _, r := range records {
		t := Tenant{Name: r.Name, Leases: []LeaseTerms{}}
		for _, l := range r.Leases {
			if conv.Kind == backend.ConversationGroup && conv.UnitID != 0 && l.UnitID != conv.UnitID {
				continue
			}
			t.Leases = append(t.Leases, LeaseTerms{Property: l.PropertyName, Unit: l.UnitName, Address: l.Address, Start: l.Start, End: l.End})
		}
		out = append(out, t)
	}
	return out
}

// write writes one conversation: its files, messages.json and the two documents.
func (p *convPlan) write(out sink, m *Manifest, pdf PDFRenderer) error {
	folder := p.entry.Folder
	paths := make([]string, 0, len(p.sources))
	for path := range p.sources {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	want := map[string]string{}
	for _, r := range p.records {
		for _, f := range r.Files {
			want[f.Path] = f.SHA256
		}
	}
	for _, path := range paths {
		var sum string
		err := out.file(path, func(w io.Writer) error {
			src, err := os.Open(p.sources[path])
			if err != nil {
				return err
			}
			defer src.Close()
			h := sha256.New()
			if _, err := io.Copy(io.MultiWriter(w, h), src); err != nil {
				return err
			}
			sum = hex.EncodeToString(h.Sum(nil))
			return nil
		})
		if err != nil {
			return err
		}
		if sum != want[path] {
			return backend.Errorf(backend.ECONFLICT, "The copy of %s on this computer changed while it was being exported. Please export again.", VisibleName(filepath.Base(path)))
		}
	}
	doc := Messages{Format: Format, ConversationID: p.entry.ID, Messages: p.records}
	if doc.Messages == nil {
		doc.Messages = []Record{}
	}
	if err := out.file(joinPath(folder, MessagesName), func(w io.Writer) error { return writeJSON(w, doc) }); err != nil {
		return err
	}
	d := newDocument(m, p.entry, p.records)
	open := func(path string) (io.ReadCloser, error) {
		local, ok := p.sources[path]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return os.Open(local)
	}
	if err := out.file(joinPath(folder, HTMLName), func(w io.Writer) error { return writeHTML(w, d, open) }); err != nil {
		return err
	}
	if pdf == nil {
		return nil
	}
	return out.file(joinPath(folder, PDFName), func(w io.Writer) error { return pdf(w, d, open) })
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// sink is where an export's files go: a folder or a zip, written under a
// temporary name until commit. Each file's size and SHA-256 are taken as it
// is written.
type sink interface {
	// file writes one file at path (slash-separated) with fill.
	file(path string, fill func(io.Writer) error) error
	written() []FileEntry
	commit() error
	// abort removes what was written, unless committed.
	abort()
}

// counted takes the size and SHA-256 of what goes through it.
type counted struct {
	h hash.Hash
	n int64
}

func (c *counted) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

type entries struct{ list []FileEntry }

func (e *entries) add(path string, c *counted) {
	e.list = append(e.list, FileEntry{Path: path, Size: c.n, SHA256: hex.EncodeToString(c.h.Sum(nil))})
}

func (e *entries) written() []FileEntry { return slices.Clone(e.list) }

type dirSink struct {
	entries
	dest, tmp string
	done      bool
}

func newDirSink(dest string) (*dirSink, error) {
	if names, err := os.ReadDir(dest); err == nil && len(names) > 0 {
		return nil, ErrDestinationTaken
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if fi, serr := os.Stat(dest); serr == nil && !fi.IsDir() {
			return nil, ErrDestinationTaken
		}
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part-")
	if err != nil {
		return nil, err
	}
	return &dirSink{dest: dest, tmp: tmp}, nil
}

func (s *dirSink) file(path string, fill func(io.Writer) error) error {
	full := filepath.Join(s.tmp, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(full, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	c := &counted{h: sha256.New()}
	bw := bufio.NewWriterSize(io.MultiWriter(f, c), 256<<10)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.add(path, c)
	return nil
}

func (s *dirSink) commit() error {
	// An empty folder chosen as the destination gives way to the export.
	if err := os.Remove(s.dest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(s.tmp, s.dest); err != nil {
		return err
	}
	s.done = true
	return nil
}

func (s *dirSink) abort() {
	if !s.done {
		os.RemoveAll(s.tmp)
	}
}

type zipSink struct {
	entries
	dest string
	f    *os.File
	bw   *bufio.Writer
	zw   *zip.Writer
	at   time.Time
	done bool
}

func newZipSink(dest string, at time.Time) (*zipSink, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part-")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	return &zipSink{dest: dest, f: f, bw: bw, zw: zip.NewWriter(bw), at: at}, nil
}

func (s *zipSink) file(path string, fill func(io.Writer) error) error {
	// Shared files are mostly photos and PDFs, compressed already: they are
	// stored as they are; the documents are deflated.
	method := zip.Deflate
	if strings.Contains(path, FilesDir+"/") {
		method = zip.Store
	}
	w, err := s.zw.CreateHeader(&zip.FileHeader{Name: path, Method: method, Modified: s.at})
	if err != nil {
		return err
	}
	c := &counted{h: sha256.New()}
	if err := fill(io.MultiWriter(w, c)); err != nil {
		return err
	}
	s.add(path, c)
	return nil
}

func (s *zipSink) commit() error {
	err := s.zw.Close()
	if err == nil {
		err = s.bw.Flush()
	}
	if err == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.f.Name(), s.dest)
	}
	if err != nil {
		return err
	}
	s.done = true
	return nil
}

func (s *zipSink) abort() {
	if !s.done {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
