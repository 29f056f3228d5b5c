package main

import (
	"context"
	"doorstep/internal/wait"
	"path/filepath"
	"strings"
	"testing"
)

// With no SMTP server or SMS provider configured, the demo's notifications
// land in the dev mailbox, the log says so, and `mailbox` lists them with
// their portal links.
func TestDevMailbox(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-demo", "-data", dataDir,
			"-public-url", "https://chat.example.org/"}, env(nil), &stdout, &stderr, fastHashes())
	}()
	waitForFile(t, urlFile, errc)

	var listing syncBuffer
	wait.For(t, "the mailbox has the e-mail and the text message", func() bool {
		listing = syncBuffer{}
		if err := run(ctx, []string{"mailbox", "-data", dataDir}, env(nil), &listing, &listing, fastHashes()); err != nil {
			t.Fatal(err)
		}
		return strings.Count(listing.String(), "\n--- ") >= 2 && strings.Contains(listing.String(), " SMS to ")
	})
	out := listing.String()
	for _, want := range []string{"DEV MAILBOX", "none of them reached a tenant", "EMAIL to ", "Subject: Pat Morgan started a chat with you",
		"https://chat.example.org/portal/i/", "SMS to +1312555"} {
		if !strings.Contains(out, want) {
			t.Errorf("mailbox listing lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"e-mail to tenants goes to the DEV MAILBOX", "text messages to tenants go to the DEV MAILBOX"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the server log does not say %q", want)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestNotificationConfig(t *testing.T) {
	cfg, err := parseServeConfig([]string{"-smtp-host", "mail.example.org", "-smtp-tls", "tls", "-sms-url", "https://api.twilio.com"},
		env(map[string]string{"DOORSTEP_SMTP_PASSWORD": "secret", "DOORSTEP_SMTP_PORT": "2465", "DOORSTEP_SMS_TOKEN": "tok"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Host != "mail.example.org" || cfg.SMTP.TLS != "tls" || cfg.SMTP.Port != 2465 || cfg.SMTP.Password != "secret" ||
		cfg.SMS.BaseURL != "https://api.twilio.com" || cfg.SMS.Token != "tok" {
		t.Errorf("config = %+v", cfg)
	}
	if _, err := parseServeConfig([]string{"-smtp-port", "smtp"}, env(nil), nil); err == nil {
		t.Error("a port that is not a number was accepted")
	}
}
