package notify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/notify"
)

// provider is an httptest server speaking the Twilio Messages API: it checks
// each request as Twilio would and answers with the status and body a test
// sets.
type provider struct {
	t      *testing.T
	srv    *httptest.Server
	status int
	body   string

	mu   sync.Mutex
	sent []map[string]string // the form of each accepted request
}

const (
	account = "AC0123456789abcdef"
	token   = "tok-secret"
)

func startProvider(t *testing.T, status int, body string) *provider {
	t.Helper()
	p := &provider{t: t, status: status, body: body}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		p.t.Errorf("method %s", r.Method)
	}
	if want := "/2010-04-01/Accounts/" + account + "/Messages.json"; r.URL.Path != want {
		p.t.Errorf("path %s, want %s", r.URL.Path, want)
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != account || pass != token {
		p.t.Errorf("basic auth %q %q %v", user, pass, ok)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		p.t.Errorf("Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		p.t.Error(err)
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	p.mu.Lock()
	p.sent = append(p.sent, form)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.status)
	w.Write([]byte(p.body))
}

func (p *provider) requests() []map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]string(nil), p.sent...)
}

func newTwilio(t *testing.T, baseURL string, hc *http.Client) *notify.TwilioSMS {
	t.Helper()
	s, err := notify.NewTwilioSMS(notify.SMSConfig{BaseURL: baseURL + "/", Account: account, Token: token, From: "+15550001111"}, hc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTwilioSMS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	msg := notify.SMS{To: "+15552223333", Text: "Maple Street Rentals started a chat with you: https://chat.maple.example/c/42 ✓"}

	t.Run("CreatedIsSent", func(t *testing.T) {
		p := startProvider(t, http.StatusCreated, `{"sid":"SM1","status":"queued"}`)
		if err := newTwilio(t, p.srv.URL, nil).SendSMS(ctx, msg); err != nil {
			t.Fatal(err)
		}
		reqs := p.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests", len(reqs))
		}
		want := map[string]string{"To": msg.To, "From": "+15550001111", "Body": msg.Text}
		for k, v := range want {
			if reqs[0][k] != v {
				t.Errorf("%s = %q, want %q", k, reqs[0][k], v)
			}
		}
		if len(reqs[0]) != len(want) {
			t.Errorf("form %v", reqs[0])
		}
	})

	t.Run("RefusedNumberIsPermanentWithProviderMessage", func(t *testing.T) {
		p := startProvider(t, http.StatusBadRequest,
			`{"code":21211,"message":"The 'To' number +15552223333 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
		err := newTwilio(t, p.srv.URL, nil).SendSMS(ctx, msg)
		t.Log(err)
		if !notify.Permanent(err) {
			t.Errorf("not permanent: %v", err)
		}
		if !strings.Contains(err.Error(), "is not a valid phone number") || !strings.Contains(err.Error(), "21211") {
			t.Errorf("error lacks the provider's message: %v", err)
		}
	})

	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"ServerErrorIsTemporary", http.StatusInternalServerError, `{"code":20500,"message":"Internal Server Error"}`},
		{"ThrottledIsTemporary", http.StatusTooManyRequests, `{"code":20429,"message":"Too Many Requests"}`},
		{"RequestTimeoutIsTemporary", http.StatusRequestTimeout, ``},
		{"BadCredentialsAreTemporary", http.StatusUnauthorized, `{"code":20003,"message":"Authenticate"}`},
		{"HTMLErrorPageIsTemporary", http.StatusBadGateway, "<html><body>\r\nBad gateway</body></html>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProvider(t, tc.status, tc.body)
			err := newTwilio(t, p.srv.URL, nil).SendSMS(ctx, msg)
			t.Log(err)
			if err == nil || notify.Permanent(err) {
				t.Errorf("got %v, want a temporary error", err)
			}
			if !strings.Contains(err.Error(), http.StatusText(tc.status)) {
				t.Errorf("error lacks the status: %v", err)
			}
		})
	}

	t.Run("UnreachableIsTemporary", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String()
		l.Close()
		err = newTwilio(t, url, nil).SendSMS(ctx, msg)
		if err == nil || notify.Permanent(err) {
			t.Errorf("got %v, want a temporary error", err)
		}
	})

	t.Run("HangingProviderEndsWithContext", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // runs before srv.Close
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		err := newTwilio(t, srv.URL, nil).SendSMS(ctx, msg)
		if !errors.Is(err, context.DeadlineExceeded) || notify.Permanent(err) {
			t.Errorf("got %v, want a temporary deadline error", err)
		}
	})

	t.Run("InvalidMessageIsPermanentAndNeverPosted", func(t *testing.T) {
		p := startProvider(t, http.StatusCreated, `{}`)
		s := newTwilio(t, p.srv.URL, nil)
		for name, m := range map[string]notify.SMS{
			"LocalNumber": {To: "(555) 222-3333", Text: "hi"},
			"EmptyText":   {To: "+15552223333", Text: " "},
		} {
			err := s.SendSMS(ctx, m)
			if backend.ErrorCode(err) != backend.EINVALID || !notify.Permanent(err) {
				t.Errorf("%s: got %v, want a permanent EINVALID", name, err)
			}
		}
		if n := len(p.requests()); n != 0 {
			t.Errorf("%d requests", n)
		}
	})
}

func TestNewTwilioSMS(t *testing.T) {
	t.Parallel()
	ok := notify.SMSConfig{BaseURL: "https://api.twilio.com", Account: account, Token: token, From: "+15550001111"}
	for name, change := range map[string]func(*notify.SMSConfig){
		"ErrBaseURLNotHTTP":  func(c *notify.SMSConfig) { c.BaseURL = "ftp://api.twilio.com" },
		"ErrBaseURLRelative": func(c *notify.SMSConfig) { c.BaseURL = "api.twilio.com" },
		"ErrAccountRequired": func(c *notify.SMSConfig) { c.Account = "" },
		"ErrTokenRequired":   func(c *notify.SMSConfig) { c.Token = "" },
		"ErrFromNotE164":     func(c *notify.SMSConfig) { c.From = "555-0001" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			change(&cfg)
			if _, err := notify.NewTwilioSMS(cfg, nil); backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
		})
	}
}
