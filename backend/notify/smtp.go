package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"doorstep/backend"
)

// SMTPConfig configures e-mail over SMTP.
type SMTPConfig struct {
	Host     string
	Port     int    // 0: 587 for starttls, 465 for tls, 25 for none
	TLS      string // "starttls" (default when empty), "tls" (implicit TLS) or "none"
	User     string // empty: no authentication
	Password string
	From     string // address, may include a display name: "Maple Street Rentals <chat@example.org>"
}

// TLS modes of SMTPConfig.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// SMTP sends e-mail through one SMTP server, one connection per message:
// notifications are rare enough that holding a connection open would only
// add a way to fail.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
}

var _ EmailSender = (*SMTP)(nil)

// NewSMTP checks cfg and returns a sender for it. It does not connect: a mail
// server that is down at start-up must not keep the chat server from starting.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	cfg.Host = strings.TrimSpace(cfg.Host)
	if cfg.Host == "" || (strings.ContainsAny(cfg.Host, " /:") && net.ParseIP(cfg.Host) == nil) {
		return nil, backend.Errorf(backend.EINVALID, "The SMTP host %q is not a host name or IP address.", cfg.Host)
	}
	switch cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS)); cfg.TLS {
	case "", TLSStartTLS:
		cfg.TLS = TLSStartTLS
		if cfg.Port == 0 {
			cfg.Port = 587
		}
	case TLSImplicit:
		if cfg.Port == 0 {
			cfg.Port = 465
		}
	case TLSNone:
		if cfg.Port == 0 {
			cfg.Port = 25
		}
	default:
		return nil, backend.Errorf(backend.EINVALID, "The SMTP TLS mode must be \"starttls\", \"tls\" or \"none\", not %q.", cfg.TLS)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, backend.Errorf(backend.EINVALID, "The SMTP port must be between 1 and 65535.")
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, backend.Errorf(backend.EINVALID, "An SMTP password needs an SMTP user.")
	}
	if cfg.User != "" && cfg.Password == "" {
		return nil, backend.Errorf(backend.EINVALID, "The SMTP user needs a password.")
	}
	// The password would cross the network in the clear; only a server on
	// this machine may be used that way (go-mail refuses the rest anyway, but
	// only once a notification is already being sent).
	if cfg.User != "" && cfg.TLS == TLSNone && !loopbackHost(cfg.Host) {
		return nil, backend.Errorf(backend.EINVALID,
			"SMTP without TLS would send the password unencrypted to %s; use \"starttls\" or \"tls\".", cfg.Host)
	}
	if !headerSafe(cfg.From) {
		return nil, backend.Errorf(backend.EINVALID, "The sender address holds a line break or another control character.")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, backend.Errorf(backend.EINVALID, "The sender %q is not an e-mail address (like \"Maple Street Rentals <chat@example.org>\").", cfg.From)
	}
	return &SMTP{cfg: cfg, from: from}, nil
}

// loopbackHost matches what go-mail lets authenticate without TLS.
func loopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// SendEmail delivers m, giving up when ctx ends. A recipient or message the
// server refuses (5xx) gives a Permanent error; anything else is temporary.
func (s *SMTP) SendEmail(ctx context.Context, m Email) error {
	to, err := validateEmail(m)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, s.from)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, to)
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(messageID(s.from.Address))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	// go-mail bounds the dial by ctx but later commands only by its own
	// timeout; closing the connection when ctx ends makes the whole exchange
	// honour ctx.
	var stopClosing func() bool
	defer func() {
		if stopClosing != nil {
			stopClosing()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		addr := s.addr()
		var d net.Dialer
		var conn net.Conn
		var err error
		if s.cfg.TLS == TLSImplicit {
			td := tls.Dialer{NetDialer: &d, Config: s.tlsConfig()}
			conn, err = td.DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stopClosing = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tlsConfig()),
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.User), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil || msg.IsDelivered() {
		// The server took the message; a failure while saying goodbye must not
		// make the caller send it a second time.
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("smtp %s: e-mail to %s: %w (%v)", s.addr(), to.Address, ctx.Err(), err)
	}
	err = fmt.Errorf("smtp %s: e-mail to %s: %w", s.addr(), to.Address, err)
	if refused(err) {
		return permanent(err)
	}
	return err
}

// refused reports whether the server turned down this recipient or this
// message for good. A 5xx to MAIL FROM or AUTH is about our own sender set-up,
// not the message, and stays temporary; so does every 4xx and every failure
// without an SMTP answer (go-mail's IsTemp is false for those, so it cannot be
// used on its own).
func refused(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode() < 500 || se.ErrorCode() > 599 {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

func (s *SMTP) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
}

func (s *SMTP) addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// messageID is unique and names the sender's domain, as mail providers expect,
// rather than this machine's host name.
func messageID(from string) string {
	domain := "localhost"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = from[at+1:]
	}
	return rand.Text() + "@" + domain
}
