package notify_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"doorstep/backend"
	"doorstep/backend/notify"
)

// received is one message as the test SMTP server got it.
type received struct {
	From string
	To   []string
	Data []byte
}

// smtpBackend is a real SMTP server's backend that keeps what it receives and
// answers with the errors a test sets.
type smtpBackend struct {
	user, password string // non-empty: AUTH PLAIN is advertised and required

	rcptErr error // answer to RCPT TO
	dataErr error // answer at the end of DATA

	mu   sync.Mutex
	msgs []received
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{b: b}, nil
}

func (b *smtpBackend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type smtpSession struct {
	b      *smtpBackend
	authed bool
	cur    received
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.b.user || password != s.b.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{From: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		return s.b.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs a go-smtp server on a loopback port for the test's lifetime.
func startSMTP(t *testing.T, b *smtpBackend) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // plain TCP on loopback: AUTH is offered only with this
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func newSMTP(t *testing.T, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("DeliversWithAuthAndUTF8Headers", func(t *testing.T) {
		b := &smtpBackend{user: "notify", password: "s3cret"}
		host, port := startSMTP(t, b)
		s := newSMTP(t, notify.SMTPConfig{
			Host: host, Port: port, TLS: "none", User: "notify", Password: "s3cret",
			From: "Maple Street Rentals <chat@maple.example>",
		})
		text := "Your landlord started a chat.\nOpen it here: https://chat.maple.example/c/42\n"
		err := s.SendEmail(ctx, notify.Email{
			To: "zoe@tenant.example", ToName: "Zoë Ångström", Subject: "Neue Nachricht – Wohnung 1A ✉", Text: text,
		})
		if err != nil {
			t.Fatal(err)
		}

		msgs := b.received()
		if len(msgs) != 1 {
			t.Fatalf("server got %d messages", len(msgs))
		}
		got := msgs[0]
		if got.From != "chat@maple.example" || len(got.To) != 1 || got.To[0] != "zoe@tenant.example" {
			t.Errorf("envelope: from %q to %q", got.From, got.To)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
		if err != nil {
			t.Fatal(err)
		}
		from, err := msg.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "Maple Street Rentals" || from[0].Address != "chat@maple.example" {
			t.Errorf("From: %v %v", from, err)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "Zoë Ångström" || to[0].Address != "zoe@tenant.example" {
			t.Errorf("To: %v %v", to, err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != "Neue Nachricht – Wohnung 1A ✉" {
			t.Errorf("Subject: %q %v (raw %q)", subject, err, msg.Header.Get("Subject"))
		}
		if d, err := msg.Header.Date(); err != nil || time.Since(d).Abs() > time.Minute {
			t.Errorf("Date: %v %v", d, err)
		}
		if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@maple.example>") {
			t.Errorf("Message-ID: %q", id)
		}
		if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "utf-8") {
			t.Errorf("Content-Type: %q", ct)
		}
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b2, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ReplaceAll(string(b2), "\r\n", "\n"); got != text {
			t.Errorf("body %q, want %q", got, text)
		}
	})

	t.Run("HeaderInjectionIsInvalidAndNeverSent", func(t *testing.T) {
		b := &smtpBackend{}
		host, port := startSMTP(t, b)
		s := newSMTP(t, notify.SMTPConfig{Host: host, Port: port, TLS: "none", From: "chat@maple.example"})
		for name, m := range map[string]notify.Email{
			"Subject":      {To: "zoe@tenant.example", Subject: "Hi\r\nBcc: evil@example.com", Text: "x"},
			"ToName":       {To: "zoe@tenant.example", ToName: "Zoe\nBcc: evil@example.com", Subject: "Hi", Text: "x"},
			"To":           {To: "zoe@tenant.example\r\nRCPT TO:<evil@example.com>", Subject: "Hi", Text: "x"},
			"NotAnAddress": {To: "Zoe <zoe@tenant.example>", Subject: "Hi", Text: "x"},
		} {
			err := s.SendEmail(ctx, m)
			if backend.ErrorCode(err) != backend.EINVALID || !notify.Permanent(err) {
				t.Errorf("%s: got %v, want a permanent EINVALID", name, err)
			}
		}
		if n := len(b.received()); n != 0 {
			t.Errorf("server got %d messages", n)
		}
	})

	// Every refusal below comes from a real SMTP exchange; only the answers
	// the server gives differ.
	for _, tc := range []struct {
		name      string
		b         *smtpBackend
		password  string
		permanent bool
	}{
		{"RefusedRecipientIsPermanent", &smtpBackend{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}, "", true},
		{"RefusedMessageIsPermanent", &smtpBackend{dataErr: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected"}}, "", true},
		{"GreylistedRecipientIsTemporary", &smtpBackend{rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Try again later"}}, "", false},
		{"DataAnswer451IsTemporary", &smtpBackend{dataErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error"}}, "", false},
		{"ShuttingDown421IsTemporary", &smtpBackend{rcptErr: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down"}}, "", false},
		{"WrongPasswordIsTemporary", &smtpBackend{user: "notify", password: "s3cret"}, "wrong", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port := startSMTP(t, tc.b)
			cfg := notify.SMTPConfig{Host: host, Port: port, TLS: "none", From: "chat@maple.example"}
			if tc.password != "" {
				cfg.User, cfg.Password = "notify", tc.password
			}
			err := newSMTP(t, cfg).SendEmail(ctx, notify.Email{To: "zoe@tenant.example", Subject: "Hi", Text: "x"})
			if err == nil {
				t.Fatal("sent")
			}
			t.Log(err)
			if notify.Permanent(err) != tc.permanent {
				t.Errorf("Permanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), "zoe@tenant.example") {
				t.Errorf("error does not name the recipient: %v", err)
			}
			if n := len(tc.b.received()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
		})
	}

	t.Run("StartTLSWithoutServerSupportIsTemporary", func(t *testing.T) {
		b := &smtpBackend{}
		host, port := startSMTP(t, b) // no TLSConfig: the server never offers STARTTLS
		err := newSMTP(t, notify.SMTPConfig{Host: host, Port: port, From: "chat@maple.example"}).
			SendEmail(ctx, notify.Email{To: "zoe@tenant.example", Subject: "Hi", Text: "x"})
		if err == nil || notify.Permanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("got %v, want a temporary error about STARTTLS", err)
		}
		if n := len(b.received()); n != 0 {
			t.Errorf("sent in the clear: server got %d messages", n)
		}
	})

	t.Run("NothingListeningIsTemporaryAndFast", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		start := time.Now()
		err = newSMTP(t, notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "chat@maple.example"}).
			SendEmail(ctx, notify.Email{To: "zoe@tenant.example", Subject: "Hi", Text: "x"})
		if err == nil || notify.Permanent(err) {
			t.Errorf("got %v, want a temporary error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})

	t.Run("SilentServerGivesUpWhenContextEnds", func(t *testing.T) {
		// Accepts connections but never greets: only ctx can end the wait
		// before go-mail's own 15-second timeout.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		port := l.Addr().(*net.TCPAddr).Port
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = newSMTP(t, notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "chat@maple.example"}).
			SendEmail(ctx, notify.Email{To: "zoe@tenant.example", Subject: "Hi", Text: "x"})
		if !errors.Is(err, context.DeadlineExceeded) || notify.Permanent(err) {
			t.Errorf("got %v, want a temporary deadline error", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	ok := notify.SMTPConfig{Host: "smtp.example.org", From: "Maple Street Rentals <chat@maple.example>"}
	t.Run("AcceptsDefaults", func(t *testing.T) {
		if _, err := notify.NewSMTP(ok); err != nil {
			t.Fatal(err)
		}
	})
	for name, change := range map[string]func(*notify.SMTPConfig){
		"ErrHostRequired":            func(c *notify.SMTPConfig) { c.Host = "" },
		"ErrHostWithPort":            func(c *notify.SMTPConfig) { c.Host = "smtp.example.org:587" },
		"ErrUnknownTLSMode":          func(c *notify.SMTPConfig) { c.TLS = "ssl" },
		"ErrPortOutOfRange":          func(c *notify.SMTPConfig) { c.Port = 70000 },
		"ErrUserWithoutPassword":     func(c *notify.SMTPConfig) { c.User = "notify" },
		"ErrPasswordWithoutUser":     func(c *notify.SMTPConfig) { c.Password = "x" },
		"ErrPasswordInTheClear":      func(c *notify.SMTPConfig) { c.TLS, c.User, c.Password = "none", "notify", "x" },
		"ErrFromNotAnAddress":        func(c *notify.SMTPConfig) { c.From = "Maple Street Rentals" },
		"ErrFromWithHeaderInjection": func(c *notify.SMTPConfig) { c.From = "chat@maple.example\r\nBcc: evil@example.com" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			change(&cfg)
			_, err := notify.NewSMTP(cfg)
			if backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			if msg := backend.ErrorMessage(err); !strings.HasSuffix(msg, ".") {
				t.Errorf("message is not a sentence: %q", msg)
			}
		})
	}
	t.Run("AllowsPasswordWithoutTLSOnLoopback", func(t *testing.T) {
		cfg := ok
		cfg.Host, cfg.TLS, cfg.User, cfg.Password = "127.0.0.1", "none", "notify", "x"
		if _, err := notify.NewSMTP(cfg); err != nil {
			t.Fatal(err)
		}
	})
}
