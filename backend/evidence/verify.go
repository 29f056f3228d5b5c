package evidence

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"doorstep/backend"
)

// What a check reads, bounded: an export that claims more is not one
// Doorstep made, and reading it would only use up memory or time.
const (
	maxManifestBytes = 32 << 20
	maxMessagesBytes = 1 << 30
	maxEntries       = 100_000
	maxEntryBytes    = 16 << 30
	maxTotalBytes    = 256 << 30
)

// Verifier checks exports.
type Verifier struct {
	// Trusted is the server's public key when the one checking knows it
	// (the desktop, signed in to that server): an export signed with
	// another key is then reported. Without it, the key the export
	// carries is used, and the report gives its fingerprint to compare.
	Trusted ed25519.PublicKey
	// TrustedServer is the id of the server Trusted belongs to: an export
	// of another server is checked with its own key, and a note says so.
	TrustedServer string
	// PDF draws conversation.pdf again to compare it (nil: it is not).
	PDF PDFRenderer
	// Kept gives the hash a message of a conversation of server has in
	// the copy the one checking keeps (the desktop's cache, as its server
	// recorded it), ok false when it keeps none. A message whose hash
	// differs from the kept one is reported, so a history rewritten and
	// signed again with another key still names the messages changed.
	Kept func(server string, conversation, seq int64) (hash string, ok bool)
}

// Report is the outcome of a check.
type Report struct {
	// Intact: nothing was found changed, added or removed.
	Intact bool `json:"intact"`
	// Signed: every conversation is covered by a valid signature of its
	// server up to its last message.
	Signed bool `json:"signed"`
	// Summary says it in one sentence: "Intact: 40 messages, 6 files,
	// signed by server 3F2A … on 2026-11-28 14:02 UTC." or what changed.
	Summary       string               `json:"summary"`
	Conversations []ConversationReport `json:"conversations"`
	Messages      int                  `json:"messages"`
	Files         int                  `json:"files"` // files shared in the messages and present
	ServerID      string               `json:"server_id"`
	Fingerprint   string               `json:"fingerprint"`
	// KeyTrusted: the signatures were checked against the key the one
	// checking trusts (Verifier.Trusted), not only the export's own.
	KeyTrusted bool      `json:"key_trusted"`
	ExportedAt time.Time `json:"exported_at"`
	Exporter   string    `json:"exporter"`
	Problems   []Problem `json:"problems"`
	// Notes are facts that change nothing: what the export declared
	// missing, messages newer than the signature, what was not compared.
	Notes []string `json:"notes"`
}

// ConversationReport is one conversation of a checked export.
type ConversationReport struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Folder    string    `json:"folder"`
	Messages  int       `json:"messages"`
	LastSeq   int64     `json:"last_seq"`
	Signature Signature `json:"signature"`
	SignedSeq int64     `json:"signed_seq"`
	SignedAt  time.Time `json:"signed_at"`
}

// Problem is one thing found changed, added or removed: in a message (Seq)
// or a file (File, its path in the export), or in the export as a whole.
type Problem struct {
	Conversation string `json:"conversation,omitempty"` // its title, in an export of several
	Seq          int64  `json:"seq,omitempty"`
	File         string `json:"file,omitempty"`
	What         string `json:"what"`
	// Text is the problem as one line (String), as the report is read.
	Text string `json:"text"`
}

// String is the problem as one line: "Message 5: This message is not …".
func (p Problem) String() string {
	where := ""
	switch {
	case p.Seq != 0:
		where = fmt.Sprintf("Message %d", p.Seq)
	case p.File != "":
		where = VisibleName(p.File)
	}
	if p.Conversation != "" {
		if where == "" {
			where = p.Conversation
		} else {
			where = p.Conversation + ", " + strings.ToLower(where[:1]) + where[1:]
		}
	}
	if where == "" {
		return p.What
	}
	return where + ": " + p.What
}

// ExpectFingerprint holds the report to the server key the one checking
// expects (as the landlord's About box or `doorstep-server key` shows
// it): an export signed with another is not intact.
func (r *Report) ExpectFingerprint(want string) {
	norm := func(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }
	if want == "" || norm(want) == norm(r.Fingerprint) {
		return
	}
	r.Problems = append(r.Problems, Problem{File: ManifestName, What: fmt.Sprintf(otherFingerprint, r.Fingerprint, strings.TrimSpace(want))})
	r.Intact, r.Signed = false, false
	r.Summary = summarise(r)
	r.texts()
}

// texts writes each problem's line.
func (r *Report) texts() {
	for i := range r.Problems {
		r.Problems[i].Text = r.Problems[i].String()
	}
}

// IsExport reports whether path is an export (a folder, a .zip or a
// folder's manifest.json holding this format's manifest), without checking
// it: what a file dropped on the window is decides what is done with it.
func IsExport(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	var raw []byte
	if fi.IsDir() || filepath.Base(path) == ManifestName {
		// A folder's manifest is read alone: a folder dropped on the
		// window may be large, and is not walked to decide.
		if !fi.IsDir() {
			path = filepath.Dir(path)
		}
		root, err := os.OpenRoot(path)
		if err != nil {
			return false
		}
		defer root.Close()
		f, err := root.Open(ManifestName)
		if err != nil {
			return false
		}
		defer f.Close()
		if raw, err = io.ReadAll(io.LimitReader(f, maxManifestBytes)); err != nil {
			return false
		}
	} else {
		src, err := openSource(path)
		if err != nil {
			return false
		}
		defer src.Close()
		if raw, err = readBounded(src, ManifestName, maxManifestBytes); err != nil {
			return false
		}
	}
	var m struct{ Format string }
	return json.Unmarshal(raw, &m) == nil && strings.HasPrefix(m.Format, "doorstep.export.")
}

// Verify checks the export at path: a folder, a .zip, or the manifest.json
// in a folder. It fails only when path is not an export that can be read;
// everything found in one is in the report.
func (v Verifier) Verify(path string) (Report, error) {
	src, err := openSource(path)
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	raw, err := readBounded(src, ManifestName, maxManifestBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return Report{}, backend.Errorf(backend.ETOOLARGE, manifestTooLarge)
	case err != nil:
		return Report{}, backend.Errorf(backend.EINVALID, notAnExport)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return Report{}, backend.Errorf(backend.EINVALID, unreadable)
	}
	switch {
	case m.Format != Format && strings.HasPrefix(m.Format, "doorstep.export."):
		return Report{}, backend.Errorf(backend.EINVALID, newerFormat)
	case m.Format != Format:
		return Report{}, backend.Errorf(backend.EINVALID, notAnExport)
	case len(m.Files) > maxEntries || len(m.Conversations) > maxEntries:
		return Report{}, backend.Errorf(backend.ETOOLARGE, tooManyFiles)
	}
	c := &check{v: v, src: src, m: &m, actual: map[string]string{}, fileProblem: map[string]bool{}}
	if err := c.hashEntries(); err != nil {
		return Report{}, err
	}
	return c.run(), nil
}

// check is one run of Verify.
type check struct {
	v   Verifier
	src source
	m   *Manifest
	// actual is the SHA-256 of every file read whole, by path.
	actual map[string]string
	// fileProblem marks files already reported by what a message says of
	// them, which says more than the manifest's "changed".
	fileProblem map[string]bool
	problems    []Problem
	fileLevel   []Problem
	notes       []string
	r           Report
}

func (c *check) problem(p Problem) { c.problems = append(c.problems, p) }

func (c *check) note(s string) {
	if !slices.Contains(c.notes, s) {
		c.notes = append(c.notes, s)
	}
}

// hashEntries reads every file of the export once, for its SHA-256.
func (c *check) hashEntries() error {
	var total int64
	for _, e := range c.src.list() {
		if e.path == ManifestName {
			continue
		}
		if e.problem != "" {
			c.fileLevel = append(c.fileLevel, Problem{File: e.path, What: e.problem})
			continue
		}
		if total += e.size; total > maxTotalBytes {
			return backend.Errorf(backend.ETOOLARGE, tooManyFiles)
		}
		sum, err := c.hashFile(e.path)
		if err != nil {
			c.fileLevel = append(c.fileLevel, Problem{File: e.path, What: fileDamaged})
			continue
		}
		c.actual[e.path] = sum
	}
	return nil
}

func (c *check) hashFile(path string) (string, error) {
	rc, err := c.src.open(path)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(rc, maxEntryBytes+1)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (c *check) run() Report {
	m := c.m
	c.r = Report{ServerID: m.Server.ID, Fingerprint: m.Server.Fingerprint, ExportedAt: m.ExportedAt, Exporter: m.Exporter,
		Conversations: []ConversationReport{}, Signed: len(m.Conversations) > 0}
	if pub, err := backend.ParsePublicKey(m.Server.PublicKey); err == nil && backend.KeyFingerprint(pub) != m.Server.Fingerprint {
		c.problem(Problem{File: ManifestName, What: fingerprintWrong})
	}
	if c.v.Trusted != nil && c.v.TrustedServer != "" && c.v.TrustedServer != m.Server.ID {
		c.note(noteAnotherServer)
	}
	docsOK := true
	for i := range m.Conversations {
		if !c.conversation(&m.Conversations[i]) {
			docsOK = false
		}
	}
	if docsOK && m.Documents == documents() {
		c.compareDrawn(HowToName, func(w io.Writer) error { return writeHowTo(w, m) })
	}
	c.checkListed()
	c.problems = append(c.problems, c.fileLevel...)
	c.r.Problems, c.r.Notes = c.problems, c.notes
	if c.r.Problems == nil {
		c.r.Problems = []Problem{}
	}
	if c.r.Notes == nil {
		c.r.Notes = []string{}
	}
	c.r.Intact = len(c.r.Problems) == 0
	c.r.Summary = summarise(&c.r)
	c.r.texts()
	return c.r
}

// checkListed compares the manifest's list of files with what is there.
func (c *check) checkListed() {
	listed := map[string]bool{}
	for _, f := range c.m.Files {
		switch {
		case !safePath(f.Path):
			c.fileLevel = append(c.fileLevel, Problem{File: f.Path, What: fileUnsafeName})
			continue
		case listed[f.Path]:
			c.fileLevel = append(c.fileLevel, Problem{File: f.Path, What: fileTwice})
			continue
		}
		listed[f.Path] = true
		sum, there := c.actual[f.Path]
		switch {
		case c.fileProblem[f.Path] || !there && c.reported(f.Path):
		case !there:
			c.fileLevel = append(c.fileLevel, Problem{File: f.Path, What: fileMissing})
		case !strings.EqualFold(sum, f.SHA256):
			c.fileLevel = append(c.fileLevel, Problem{File: f.Path, What: fileChanged})
		}
	}
	for _, e := range c.src.list() {
		if e.path == ManifestName || listed[e.path] || e.problem != "" {
			continue
		}
		if osFile(e.path) {
			c.note(fmt.Sprintf(noteOSFile, e.path))
			continue
		}
		c.fileLevel = append(c.fileLevel, Problem{File: e.path, What: fileAdded})
	}
}

// reported says whether a problem of the file at path was found already.
func (c *check) reported(path string) bool {
	return slices.ContainsFunc(c.fileLevel, func(p Problem) bool { return p.File == path })
}

// conversation checks one conversation; it reports whether its messages
// hold, so that its documents can be drawn again from them.
func (c *check) conversation(e *ConversationEntry) bool {
	title := ""
	if len(c.m.Conversations) > 1 {
		title = e.Title
	}
	report := func(p Problem) {
		p.Conversation = title
		c.problem(p)
	}
	cr := ConversationReport{ID: e.ID, Title: e.Title, Folder: e.Folder, Signature: e.Signature}
	defer func() { c.r.Conversations = append(c.r.Conversations, cr) }()
	if e.Folder != "" && !safePath(e.Folder) {
		report(Problem{File: e.Folder, What: fileUnsafeName})
		c.r.Signed = false
		return false
	}
	msgPath := joinPath(e.Folder, MessagesName)
	raw, err := readBounded(c.src, msgPath, maxMessagesBytes)
	var doc Messages
	switch {
	case errors.Is(err, errTooLarge):
		report(Problem{File: msgPath, What: messagesTooLarge})
	case err != nil:
		// Missing: the manifest's list says so.
		if _, listed := c.manifestEntry(msgPath); !listed {
			report(Problem{File: msgPath, What: fileMissing})
		}
	default:
		if json.Unmarshal(raw, &doc) != nil {
			report(Problem{File: msgPath, What: messagesUnread})
			err = errors.New("unreadable")
		}
	}
	if err != nil {
		c.r.Signed = false
		return false
	}
	if doc.ConversationID != e.ID {
		report(Problem{File: msgPath, What: fmt.Sprintf(messagesOtherConv, doc.ConversationID, e.ID)})
	}
	before := len(c.problems)
	msgs := make([]backend.Message, 0, len(doc.Messages))
	for _, rec := range doc.Messages {
		msg, err := rec.Message()
		if err != nil {
			report(Problem{Seq: rec.Seq, What: recordBadTime})
			continue
		}
		if shown, err := time.Parse(shownTimeLayout, rec.ShownTime); err != nil || !shown.Equal(msg.CreatedAt.Truncate(time.Second)) {
			report(Problem{Seq: rec.Seq, What: fmt.Sprintf(shownTimeDiffers, VisibleText(rec.ShownTime))})
		}
		msgs = append(msgs, msg)
	}
	slices.SortStableFunc(doc.Messages, func(a, b Record) int { return cmp.Compare(a.Seq, b.Seq) })
	heads, chain := backend.CheckChain(e.ID, msgs)
	var last Record
	if n := len(doc.Messages); n > 0 {
		last = doc.Messages[n-1]
	}
	cr.Messages, cr.LastSeq = len(doc.Messages), last.Seq
	c.r.Messages += len(doc.Messages)
	if e.Messages != len(doc.Messages) || e.LastSeq != last.Seq {
		report(Problem{File: ManifestName, What: fmt.Sprintf(countDiffers, e.Messages, e.LastSeq, len(doc.Messages), last.Seq)})
	}
	if !strings.EqualFold(e.Head, last.Hash) {
		report(Problem{File: ManifestName, What: headNotRecorded})
	}
	// A message found changed already says where the history stops
	// matching its signature; the signature then only repeats it.
	pinpointed := slices.ContainsFunc(chain, func(p backend.ChainProblem) bool {
		return e.SignedHead != nil && p.Seq <= e.SignedHead.Seq && !declared(e.MissingMessages, p.Seq)
	})
	if c.v.Kept != nil {
		for _, p := range c.keptDiffers(e.ID, msgs) {
			if slices.ContainsFunc(chain, func(q backend.ChainProblem) bool { return q.Seq == p.Seq }) {
				continue // the chain says it already, and better
			}
			report(p)
			pinpointed = pinpointed || e.SignedHead != nil && p.Seq <= e.SignedHead.Seq
		}
	}
	signedOK := c.signature(e, &cr, heads, doc.Messages, pinpointed, report)
	for _, p := range chain {
		switch {
		case declared(e.MissingMessages, p.Seq) && strings.HasPrefix(p.Problem, "Message"):
			// Declared missing when exported: the notes say so.
		case p.Problem == backend.ChainNoHash && signedOK && cr.SignedSeq >= p.Seq:
			// The signed head covers it all the same: it is recomputed
			// from the messages themselves.
		default:
			report(Problem{Seq: p.Seq, What: p.Problem})
		}
	}
	c.sharedFiles(e, doc.Messages, report)
	for _, n := range conversationNotes(e) {
		if title != "" && !strings.HasPrefix(n, title+":") {
			n = title + ": " + n
		}
		c.note(n)
	}
	if len(c.problems) > before {
		c.note(noteSkippedDocs)
		return false
	}
	c.compareDocuments(e, doc.Messages)
	return true
}

// keptDiffers checks each message against the copy the one checking keeps:
// chained to the hash kept for the message before it, its content must
// give the hash kept for it. Each changed message is found on its own,
// whatever was done to the hashes after it.
func (c *check) keptDiffers(convID int64, msgs []backend.Message) []Problem {
	var out []Problem
	for _, m := range msgs {
		kept, ok := c.v.Kept(c.m.Server.ID, convID, m.Seq)
		if !ok || kept == "" {
			continue
		}
		prev := make([]byte, sha256.Size) // before the first message
		if m.Seq > 1 {
			before, ok := c.v.Kept(c.m.Server.ID, convID, m.Seq-1)
			if !ok || before == "" {
				continue
			}
			if prev, ok = decodeHex(before); !ok {
				continue
			}
		}
		if !strings.EqualFold(hex.EncodeToString(backend.ChainHash(prev, m)), kept) {
			out = append(out, Problem{Seq: m.Seq, What: keptDiffers})
		}
	}
	return out
}

func decodeHex(s string) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// signature checks a conversation's signed head; it reports whether the
// signature holds for the history.
func (c *check) signature(e *ConversationEntry, cr *ConversationReport, heads map[int64][]byte, recs []Record, pinpointed bool, report func(Problem)) bool {
	h := e.SignedHead
	if h == nil || e.Signature == NotSigned {
		c.r.Signed = false
		c.note(fmt.Sprintf("%s: %s", e.Title, signatureSentence(e)))
		return false
	}
	cr.SignedSeq, cr.SignedAt = h.Seq, h.SignedAt
	ok := true
	fail := func(what string) {
		report(Problem{File: ManifestName, What: what})
		ok = false
	}
	if h.ConversationID != e.ID {
		fail(fmt.Sprintf(headOtherConv, h.ConversationID))
	}
	if h.ServerID != c.m.Server.ID {
		fail(fmt.Sprintf(headOtherServer, h.ServerID, c.m.Server.ID))
	}
	if h.PublicKey != c.m.Server.PublicKey {
		fail(headOtherKey)
	}
	trusted := c.v.Trusted
	if c.v.TrustedServer != "" && c.v.TrustedServer != c.m.Server.ID {
		trusted = nil
	}
	if err := h.Verify(trusted); err != nil {
		fail(backend.ErrorMessage(err))
	} else if trusted != nil {
		c.r.KeyTrusted = true
	}
	var found []backend.ChainProblem
	if len(e.MissingMessages) > 0 && e.MissingMessages[0].From <= h.Seq {
		// With messages missing below it, the head cannot be recomputed
		// from the first message: the hash recorded at its seq stands in,
		// itself checked against the message before it.
		i := slices.IndexFunc(recs, func(r Record) bool { return r.Seq == h.Seq })
		if i < 0 || !strings.EqualFold(recs[i].Hash, h.Head) {
			found = []backend.ChainProblem{{Seq: h.Seq, Problem: backend.ChainHeadDiffers}}
		}
	} else {
		found = backend.CheckHead(h.HeadStatement, heads)
	}
	for _, p := range found {
		if !pinpointed || p.Problem != backend.ChainHeadDiffers {
			report(Problem{Seq: p.Seq, What: p.Problem})
		}
		ok = false
	}
	if !ok || h.Seq < e.LastSeq {
		c.r.Signed = false
	}
	return ok
}

// sharedFiles checks the files each message shares against the SHA-256
// the message records.
func (c *check) sharedFiles(e *ConversationEntry, recs []Record, report func(Problem)) {
	dir := joinPath(e.Folder, FilesDir) + "/"
	seen := map[string]bool{}
	for _, r := range recs {
		for _, f := range r.Files {
			if f.Path == "" {
				if !slices.ContainsFunc(e.MissingFiles, func(mf MissingFile) bool { return strings.EqualFold(mf.SHA256, f.SHA256) }) {
					report(Problem{Seq: r.Seq, What: fmt.Sprintf(sharedUndeclared, r.Seq, VisibleName(f.Name))})
				}
				continue
			}
			if !safePath(f.Path) || !strings.HasPrefix(f.Path, dir) {
				report(Problem{Seq: r.Seq, What: fmt.Sprintf(sharedOutside, r.Seq, VisibleName(f.Path))})
				continue
			}
			sum, there := c.actual[f.Path]
			switch {
			case !there && !c.reported(f.Path):
				report(Problem{File: f.Path, What: fmt.Sprintf(sharedMissing, r.Seq)})
				c.fileProblem[f.Path] = true
			case there && !strings.EqualFold(sum, f.SHA256):
				report(Problem{File: f.Path, What: fmt.Sprintf(sharedChanged, r.Seq)})
				c.fileProblem[f.Path] = true
			case there && !seen[f.Path]:
				seen[f.Path] = true
				c.r.Files++
			}
		}
	}
}

// compareDocuments draws a conversation's documents again from what the
// check read, and compares them with the export's.
func (c *check) compareDocuments(e *ConversationEntry, recs []Record) {
	if c.m.Documents != documents() {
		c.note(fmt.Sprintf(noteNotCompared, orNone(c.m.Documents), appVersion()))
		return
	}
	d := newDocument(c.m, e, recs)
	open := func(path string) (io.ReadCloser, error) {
		if _, ok := c.actual[path]; !ok {
			return nil, errors.New("not in the export")
		}
		return c.src.open(path)
	}
	c.compareDrawn(joinPath(e.Folder, HTMLName), func(w io.Writer) error { return writeHTML(w, d, open) })
	if c.v.PDF == nil {
		c.note(noteNoPDF)
		return
	}
	c.compareDrawn(joinPath(e.Folder, PDFName), func(w io.Writer) error { return c.v.PDF(w, d, open) })
}

// compareDrawn draws a document again and reports it when the export's
// copy differs while the manifest agrees with that copy: both were
// changed. (A copy the manifest disagrees with is reported as changed.)
func (c *check) compareDrawn(path string, draw func(io.Writer) error) {
	sum, there := c.actual[path]
	listed, ok := c.manifestEntry(path)
	if !there || !ok || !strings.EqualFold(listed.SHA256, sum) {
		return
	}
	h := sha256.New()
	if err := draw(h); err != nil {
		return
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		c.problem(Problem{File: path, What: docRedrawn})
	}
}

func (c *check) manifestEntry(path string) (FileEntry, bool) {
	i := slices.IndexFunc(c.m.Files, func(f FileEntry) bool { return f.Path == path })
	if i < 0 {
		return FileEntry{}, false
	}
	return c.m.Files[i], true
}

func declared(ranges []SeqRange, seq int64) bool {
	return slices.ContainsFunc(ranges, func(r SeqRange) bool { return r.From <= seq && seq <= r.To })
}

// summarise says the report in one sentence.
func summarise(r *Report) string {
	if !r.Intact {
		s := "Not intact: " + r.Problems[0].String()
		switch n := len(r.Problems) - 1; {
		case n == 1:
			s += " (and 1 more problem)"
		case n > 1:
			s += fmt.Sprintf(" (and %d more problems)", n)
		}
		return s
	}
	counts := plural(r.Messages, "message") + ", " + plural(r.Files, "file")
	if len(r.Conversations) > 1 {
		counts = plural(len(r.Conversations), "conversation") + ", " + counts
	}
	var newest time.Time
	anySigned := false
	for _, c := range r.Conversations {
		if c.SignedSeq > 0 || !c.SignedAt.IsZero() {
			anySigned = true
			if c.SignedAt.After(newest) {
				newest = c.SignedAt
			}
		}
	}
	switch {
	case r.Signed:
		return fmt.Sprintf("Intact: %s, signed by server %s on %s.", counts, r.Fingerprint, utc(newest))
	case anySigned:
		return fmt.Sprintf("Intact: %s, signed by server %s on %s, except what the notes say.", counts, r.Fingerprint, utc(newest))
	default:
		return fmt.Sprintf("Intact, but not signed: %s agree with each other, but no signature of the server covers them.", counts)
	}
}

var errTooLarge = errors.New("over its bound")

// readBounded reads a whole file of the export, refusing one over max bytes.
func readBounded(src source, path string, max int64) ([]byte, error) {
	rc, err := src.open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, errTooLarge
	}
	return b.Bytes(), nil
}
