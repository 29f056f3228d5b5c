package notify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Channels a MailboxEntry can record.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// mailboxFile is the name of the mailbox file inside its directory.
const mailboxFile = "mailbox.jsonl"

// MailboxEntry is one message in the mailbox.
type MailboxEntry struct {
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"` // ChannelEmail or ChannelSMS
	To      string    `json:"to"`
	ToName  string    `json:"to_name,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text"`
}

// Mailbox is the development stand-in used when neither SMTP nor SMS is
// configured: every notification is appended, durably (fsync), to a
// JSON-lines file in a directory, never silently dropped. It checks messages
// as the real senders do, so bad data shows up in development too.
type Mailbox struct {
	path string
	mu   sync.Mutex // one append at a time keeps lines whole
}

var (
	_ EmailSender = (*Mailbox)(nil)
	_ SMSSender   = (*Mailbox)(nil)
)

// OpenMailbox returns the mailbox in dir, creating both if needed. A last
// line cut short by a crash (never acknowledged to a caller) is dropped, so
// later entries start on a line of their own.
func OpenMailbox(dir string) (*Mailbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	path := filepath.Join(dir, mailboxFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer f.Close()
	if err := dropTornTail(f); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the file's creation durable too
		d.Close()
	}
	return &Mailbox{path: path}, nil
}

// dropTornTail truncates f after its last newline.
func dropTornTail(f *os.File) error {
	data, err := io.ReadAll(f)
	if err != nil || len(data) == 0 || data[len(data)-1] == '\n' {
		return err
	}
	return f.Truncate(int64(bytes.LastIndexByte(data, '\n') + 1))
}

// Path is the mailbox file.
func (m *Mailbox) Path() string { return m.path }

// SendEmail records e.
func (m *Mailbox) SendEmail(ctx context.Context, e Email) error {
	if _, err := validateEmail(e); err != nil {
		return err
	}
	return m.append(ctx, MailboxEntry{Channel: ChannelEmail, To: e.To, ToName: e.ToName, Subject: e.Subject, Text: e.Text})
}

// SendSMS records s.
func (m *Mailbox) SendSMS(ctx context.Context, s SMS) error {
	if err := validateSMS(s); err != nil {
		return err
	}
	return m.append(ctx, MailboxEntry{Channel: ChannelSMS, To: s.To, Text: s.Text})
}

// append writes one line and syncs it before reporting success, so a
// notification the caller counts as sent is on disk.
func (m *Mailbox) append(ctx context.Context, e MailboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.Time = time.Now().UTC()
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	line = append(line, '\n')

	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := os.OpenFile(m.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	_, werr := f.Write(line)
	serr := f.Sync()
	cerr := f.Close()
	for _, err := range []error{werr, serr, cerr} {
		if err != nil {
			return fmt.Errorf("mailbox: %w", err)
		}
	}
	return nil
}

// List returns every entry, oldest first.
func (m *Mailbox) List() ([]MailboxEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := os.Open(m.path)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer f.Close()
	var entries []MailboxEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20) // a long e-mail is one long line
	for n := 1; sc.Scan(); n++ {
		var e MailboxEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("mailbox: %s line %d: %w", m.path, n, err)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	return entries, nil
}
