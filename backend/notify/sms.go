package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"doorstep/backend"
)

// SMSConfig configures text messages through an HTTP provider with
// Twilio-compatible message requests.
type SMSConfig struct {
	BaseURL string // e.g. https://api.twilio.com (no trailing slash needed)
	Account string // account SID
	Token   string // auth token
	From    string // sender number, E.164
}

// TwilioSMS sends text messages with Twilio's Messages API (or a provider
// that speaks it).
type TwilioSMS struct {
	cfg      SMSConfig
	endpoint string
	hc       *http.Client
}

var _ SMSSender = (*TwilioSMS)(nil)

// smsTimeout bounds one request when the caller gives no client: a provider
// that hangs must not hold a notification worker forever.
const smsTimeout = 30 * time.Second

// NewTwilioSMS checks cfg and returns a sender that posts with hc (nil: a
// client with a 30-second timeout). It does not contact the provider.
func NewTwilioSMS(cfg SMSConfig, hc *http.Client) (*TwilioSMS, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, backend.Errorf(backend.EINVALID, "The SMS provider URL %q is not an http(s) address (like https://api.twilio.com).", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.Account) == "" {
		return nil, backend.Errorf(backend.EINVALID, "The SMS account id is missing.")
	}
	if cfg.Token == "" {
		return nil, backend.Errorf(backend.EINVALID, "The SMS auth token is missing.")
	}
	if !e164.MatchString(cfg.From) {
		return nil, backend.Errorf(backend.EINVALID, "The SMS sender %q is not a phone number in international format (like +15551234567).", cfg.From)
	}
	if hc == nil {
		hc = &http.Client{Timeout: smsTimeout}
	}
	endpoint := u.String() + "/2010-04-01/Accounts/" + url.PathEscape(cfg.Account) + "/Messages.json"
	return &TwilioSMS{cfg: cfg, endpoint: endpoint, hc: hc}, nil
}

// SendSMS posts m to the provider. A 2xx answer means the provider took it.
// The provider's refusal of this message (4xx) is Permanent, except 408 and
// 429, which ask to come back later, and 401 and 403, which are about our
// credentials or account rather than the message. 5xx and network failures
// are temporary.
func (t *TwilioSMS) SendSMS(ctx context.Context, m SMS) error {
	if err := validateSMS(m); err != nil {
		return err
	}
	form := url.Values{"To": {m.To}, "From": {t.cfg.From}, "Body": {m.Text}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.cfg.Account, t.cfg.Token)
	resp, err := t.hc.Do(req)
	if err != nil {
		// The URL in *url.Error is ours and holds no secret; keep it for the log.
		return fmt.Errorf("sms to %s: %w", m.To, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("sms to %s: provider answered %s: %s", m.To, resp.Status, providerMessage(body))
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests,
		c == http.StatusUnauthorized, c == http.StatusForbidden:
		return err
	case c >= 400 && c < 500:
		return permanent(err)
	}
	return err
}

// providerMessage is the sentence of a Twilio error body
// ({"code":21211,"message":"..."}), or a short, printable start of any other.
func providerMessage(body []byte) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		if e.Code != 0 {
			return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
		}
		return e.Message
	}
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), "?"))
	if s = strings.TrimSpace(s); len([]rune(s)) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	if s == "" {
		return "no details"
	}
	return s
}
