package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"doorstep/backend"
	"doorstep/backend/notify"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// flakyProvider stands in for the SMS provider: it refuses (503) while down
// and records what it accepts.
type flakyProvider struct {
	down     atomic.Bool
	refuse   atomic.Bool // answer 400 with a provider error, as for a number it cannot text
	mu       sync.Mutex
	accepted []string // "To: Body"
	srv      *httptest.Server
}

func startFlakyProvider(t *testing.T) *flakyProvider {
	p := &flakyProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.refuse.Load() {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":21614,"message":"The 'To' number is not a valid mobile number."}`))
			return
		}
		if p.down.Load() {
			http.Error(w, `{"code":20500,"message":"Service unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		r.ParseForm()
		p.mu.Lock()
		p.accepted = append(p.accepted, r.PostForm.Get("To")+": "+r.PostForm.Get("Body"))
		p.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"sid":"SM1","status":"queued"}`))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *flakyProvider) messages() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.accepted...)
}

// freePort returns a loopback port nothing listens on (yet).
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var portalLink = regexp.MustCompile(`https://chat\.example\.org/portal/i/([A-Za-z0-9_-]+)`)

func TestWorkerDeliversEverythingOnceAfterAnOutage(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	ctx := context.Background()
	landlord, _ := s.Landlord(t)

	// The demo's chats queued their notifications when they were started;
	// one more, a group chat, is started while the worker runs.
	queued, err := s.DB.DueNotifications(ctx, time.Now().Add(time.Hour), 1000)
	if err != nil || len(queued) == 0 {
		t.Fatalf("queued before the worker: %d, %v", len(queued), err)
	}

	port := freePort(t) // the mail server is down: nothing listens there yet
	mail := newSMTP(t, notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: notify.TLSNone, From: "Maple Street Rentals <chat@maple.example>"})
	sms := startFlakyProvider(t)
	sms.down.Store(true)
	texts, err := notify.NewTwilioSMS(notify.SMSConfig{BaseURL: sms.srv.URL, Account: account, Token: token, From: "+15550001111"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(s.DB, mail, texts, "https://chat.example.org", slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Backoff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond,
		200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond,
		200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, time.Minute}
	s.DB.SetNotificationsQueued(w.Wake)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	dir, err := landlord.Directory(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var unit backend.DirectoryUnit
	for _, u := range dir.Units {
		if u.CanChat && len(u.ActiveTenants) >= 2 {
			unit = u
			break
		}
	}
	if unit.ID == 0 {
		t.Fatal("the demo has no unit with two active tenants")
	}
	if _, err := landlord.StartConversation(ctx, backend.StartConversation{UnitID: unit.ID}); err != nil {
		t.Fatal(err)
	}

	// While both are down, every notification is tried and stays queued.
	var all []backend.PendingNotification
	wait.For(t, "every notification was tried at least twice", func() bool {
		all, _ = s.DB.DueNotifications(ctx, time.Now().Add(time.Hour), 1000)
		for _, n := range all {
			if n.Attempts < 2 {
				return false
			}
		}
		return len(all) > len(queued)
	})
	for _, n := range all {
		if n.State != backend.NotificationQueued || n.Reason == "" {
			t.Errorf("during the outage: %+v", n.Notification)
		}
	}

	// Both come back: everything queued arrives, once.
	mailServer := &smtpBackend{}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(mailServer)
	srv.Domain = "localhost"
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	sms.down.Store(false)
	w.Wake()
	wait.For(t, "the queue is empty", func() bool { _, ok, _ := s.DB.NextNotificationDue(ctx); return !ok })
	// Stop the worker: nothing more can be sent, so the counts below are
	// final (a second send of anything would be in them).
	stop()
	<-done

	wantEmail, wantSMS := map[string]int{}, map[string]int{}
	for _, n := range all {
		if n.Channel == "email" {
			wantEmail[n.Recipient]++
		} else {
			to, err := notify.NormalizePhone(n.Recipient)
			if err != nil {
				t.Fatal(err)
			}
			wantSMS[to]++
		}
	}
	gotEmail := map[string]int{}
	var links []string
	for _, m := range mailServer.received() {
		for _, to := range m.To {
			gotEmail[to]++
		}
		if l := portalLink.FindStringSubmatch(bodyText(t, m.Data)); l != nil {
			links = append(links, l[1])
		}
	}
	if len(gotEmail) != len(wantEmail) {
		t.Errorf("e-mail went to %d addresses, want %d", len(gotEmail), len(wantEmail))
	}
	for to, n := range wantEmail {
		if gotEmail[to] != n {
			t.Errorf("%s got %d e-mails, want %d", to, gotEmail[to], n)
		}
	}
	gotSMS := map[string]int{}
	for _, m := range sms.messages() {
		to, _, _ := strings.Cut(m, ": ")
		gotSMS[to]++
		if !portalLink.MatchString(m) {
			t.Errorf("a text without a portal link: %q", m)
		}
	}
	for to, n := range wantSMS {
		if gotSMS[to] != n {
			t.Errorf("%s got %d texts, want %d", to, gotSMS[to], n)
		}
	}
	if len(links) != len(mailServer.received()) {
		t.Fatalf("%d of %d e-mails carry a portal link", len(links), len(mailServer.received()))
	}

	// The link opens a tenant session, once.
	sess, err := s.DB.RedeemInvite(ctx, links[0])
	if err != nil || sess.Me.Kind != backend.KindTenant {
		t.Fatalf("the e-mailed link: %+v, %v", sess.Me, err)
	}
	if _, err := s.DB.RedeemInvite(ctx, links[0]); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Errorf("the link worked twice: %v", err)
	}
}

// bodyText is the decoded text of a received e-mail.
func bodyText(t *testing.T, data []byte) string {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWorkerGivesUp(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		refuse       bool
		wantAttempts int
		wantReason   string
	}{
		"RefusedNumberAtOnce": {true, 1, "not a valid mobile number"},
		"AfterTheLastBackoff": {false, 3, "Gave up after 3 tries"},
	} {
		t.Run(name, func(t *testing.T) {
			s := servertest.StartDemo(t)
			ctx := context.Background()
			box, err := notify.OpenMailbox(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			sms := startFlakyProvider(t)
			sms.down.Store(true)
			sms.refuse.Store(c.refuse)
			texts, _ := notify.NewTwilioSMS(notify.SMSConfig{BaseURL: sms.srv.URL, Account: account, Token: token, From: "+15550001111"}, nil)
			w := notify.NewWorker(s.DB, box, texts, "https://chat.example.org", slog.New(slog.NewTextHandler(io.Discard, nil)))
			w.Backoff = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
			var observedMu sync.Mutex
			observed := map[string]int{} // "channel outcome" → tries
			w.Observe = func(channel string, outcome notify.Outcome) {
				observedMu.Lock()
				defer observedMu.Unlock()
				observed[channel+" "+string(outcome)]++
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); w.Run(runCtx) }()
			t.Cleanup(func() { stop(); <-done })

			landlord, _ := s.Landlord(t)
			convs, _ := landlord.Conversations(ctx)
			var log []backend.Notification
			wait.For(t, "nothing is queued", func() bool { _, ok, _ := s.DB.NextNotificationDue(ctx); return !ok })
			for _, conv := range convs {
				l, err := landlord.ConversationNotifications(ctx, conv.ID)
				if err != nil {
					t.Fatal(err)
				}
				log = append(log, l...)
			}
			if len(log) == 0 {
				t.Fatal("no notifications")
			}
			for _, n := range log {
				switch n.Channel {
				case backend.ChannelEmail:
					if n.State != backend.NotificationSent || !strings.Contains(n.Reason, "dev mailbox") {
						t.Errorf("e-mail to the dev mailbox: %+v", n)
					}
				case backend.ChannelSMS:
					if n.State != backend.NotificationFailed || n.Attempts != c.wantAttempts || !strings.Contains(n.Reason, c.wantReason) {
						t.Errorf("text: state %s after %d tries (%q), want failed after %d (%q)", n.State, n.Attempts, n.Reason, c.wantAttempts, c.wantReason)
					}
				}
			}
			if got := len(sms.messages()); got != 0 {
				t.Errorf("%d texts accepted", got)
			}
			// Every try was observed once, with its outcome.
			want := map[string]int{}
			for _, n := range log {
				if n.Channel == backend.ChannelEmail {
					want["email sent"]++
					continue
				}
				want["sms failed"]++
				if c.wantAttempts > 1 {
					want["sms retry"] += c.wantAttempts - 1
				}
			}
			observedMu.Lock()
			defer observedMu.Unlock()
			if fmt.Sprint(observed) != fmt.Sprint(want) {
				t.Errorf("observed tries %v, want %v", observed, want)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"(312) 555-0142":   "+13125550142",
		"1 312 555 0142":   "+13125550142",
		"+44 20 7946 0958": "+442079460958",
		"0049 30 1234567":  "+49301234567",
		"312.555.0142":     "+13125550142",
	} {
		if got, err := notify.NormalizePhone(raw); err != nil || got != want {
			t.Errorf("%q → %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"555-0100", "call me", "", "+1 (312) 555-0142 ext 4", "12+34"} {
		if got, err := notify.NormalizePhone(raw); err == nil || !notify.Permanent(err) || backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("%q → %q, %v; want a permanent invalid_input", raw, got, err)
		}
	}
}
