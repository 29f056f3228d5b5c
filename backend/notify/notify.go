// Package notify delivers tenant notifications by e-mail and SMS.
//
// Notifications only tell a tenant that a chat was started or that messages
// wait; nothing sent back by e-mail or SMS ever becomes a chat message. The
// senders here make one delivery attempt each and say whether a failure is
// worth retrying (see Permanent); retrying is the caller's business.
package notify

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"doorstep/backend"
)

// Email is one e-mail to a tenant (plain text).
type Email struct {
	To, ToName, Subject, Text string
}

// SMS is one text message to a phone number.
type SMS struct {
	To, Text string
}

// EmailSender delivers e-mails.
type EmailSender interface {
	SendEmail(ctx context.Context, m Email) error
}

// SMSSender delivers text messages.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) error
}

// Permanent reports whether err is a failure that retrying the same message
// cannot fix: the provider refused the recipient or the message itself, or
// the message is not valid (EINVALID). Network failures, timeouts, throttling,
// 4xx SMTP answers and problems with the sender's own configuration
// (credentials, a refused From address) are temporary: they affect every
// message alike, and once fixed the waiting messages should still go out.
func Permanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// permanentError marks err as not worth retrying while keeping it (and its
// backend code, if any) reachable through errors.As and errors.Is.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err: err} }

// invalid is an EINVALID error that is also permanent: a message that breaks
// a rule will break it on every try.
func invalid(format string, args ...any) error {
	return permanent(backend.Errorf(backend.EINVALID, format, args...))
}

// validateEmail checks what a sender puts into headers. CR or LF in a header
// value would let a tenant's name or a subject add headers (or recipients) of
// its own, so any control character is refused before anything is sent.
func validateEmail(m Email) (*mail.Address, error) {
	if !headerSafe(m.To) {
		return nil, invalid("The e-mail address holds a line break or another control character.")
	}
	addr, err := mail.ParseAddress(m.To)
	if err != nil || addr.Name != "" || addr.Address != strings.TrimSpace(m.To) {
		return nil, invalid("%q is not an e-mail address.", m.To)
	}
	if !headerSafe(m.ToName) {
		return nil, invalid("The recipient's name holds a line break or another control character.")
	}
	if !headerSafe(m.Subject) {
		return nil, invalid("The e-mail subject holds a line break or another control character.")
	}
	if !utf8.ValidString(m.Text) {
		return nil, invalid("The e-mail text is not valid UTF-8.")
	}
	return &mail.Address{Name: m.ToName, Address: addr.Address}, nil
}

// headerSafe reports whether s is UTF-8 without control characters.
func headerSafe(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// e164 is an international phone number: +, country code, subscriber number.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func validateSMS(m SMS) error {
	if !e164.MatchString(m.To) {
		return invalid("%q is not a phone number in international format (like +15551234567).", m.To)
	}
	if strings.TrimSpace(m.Text) == "" {
		return invalid("The text message is empty.")
	}
	if !utf8.ValidString(m.Text) {
		return invalid("The text message is not valid UTF-8.")
	}
	return nil
}
