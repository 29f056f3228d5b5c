// Package keychain keeps the desktop app's session tokens in the operating
// system's credential store (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows) through zalando/go-keyring. Tokens are never
// written to a plain file: when no store is usable the app keeps the session
// in memory only and says so.
package keychain

import (
	"errors"
	"strings"

	"github.com/zalando/go-keyring"
)

// service names Doorstep's entries in the credential store.
const service = "Doorstep"

// ErrNotFound means no token is stored for that account.
var ErrNotFound = errors.New("keychain: no saved session")

// UnavailableError means the credential store cannot be used (no Secret
// Service running, a locked keyring, ...). Reason is a sentence for people.
type UnavailableError struct {
	Reason string
	Err    error
}

func (e *UnavailableError) Error() string { return "keychain unavailable: " + e.Reason }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Store saves one session token per server and e-mail.
type Store struct {
	service string
}

// New returns the store under Doorstep's service name.
func New() *Store { return &Store{service: service} }

// account is the key of an entry: the same e-mail on two servers is two
// accounts.
func account(server, email string) string { return strings.ToLower(email) + " @ " + server }

// Save stores the token for email on server, replacing any earlier one.
func (s *Store) Save(server, email, token string) error {
	return translate(keyring.Set(s.service, account(server, email), token))
}

// Load returns the stored token, ErrNotFound, or an *UnavailableError.
func (s *Store) Load(server, email string) (string, error) {
	tok, err := keyring.Get(s.service, account(server, email))
	return tok, translate(err)
}

// Delete removes the stored token; deleting what is not there is not an error.
func (s *Store) Delete(server, email string) error {
	err := translate(keyring.Delete(s.service, account(server, email)))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// translate turns go-keyring's errors into ErrNotFound or an explained
// *UnavailableError.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case strings.Contains(err.Error(), "failed to unlock correct collection"):
		return &UnavailableError{Reason: "The system keyring is locked. Unlock it (or sign in to your desktop session) so Doorstep can remember you; until then you will be asked for your password each time.", Err: err}
	case strings.Contains(err.Error(), "org.freedesktop.secrets") || strings.Contains(err.Error(), "dbus"):
		return &UnavailableError{Reason: "No system keyring is running (Secret Service). Doorstep keeps your session only until you quit.", Err: err}
	default:
		// The keyring's own words stay in Err, for the log: they are not
		// written for people and may name paths.
		return &UnavailableError{Reason: "The system keyring could not be used, so Doorstep cannot remember you; you will be asked for your password each time.", Err: err}
	}
}
