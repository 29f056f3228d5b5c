package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"doorstep/backend"
	"doorstep/backend/i18n"
)

// Store is what the worker needs of the database: the queue of
// notifications and the tenant invites their links carry.
type Store interface {
	backend.NotificationQueue
	CreateTenantInvite(ctx context.Context, orgID, tenantID int64) (string, error)
}

// DefaultBackoff is how long the worker waits after each failed try of a
// notification; after the last one it gives up (about a day in all).
var DefaultBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour}

// sendTimeout bounds one delivery attempt.
const sendTimeout = time.Minute

// batchSize is how many due notifications are read at a time.
const batchSize = 50

// idleCheck is the longest the worker sleeps without looking at the queue
// (a safety net: it is woken when something is queued).
const idleCheck = time.Minute

// Worker sends queued notifications, retrying with backoff, and records
// each outcome in the delivery log. Each message carries a fresh
// single-use link into the tenant portal, made when it is sent, so no
// usable token is ever stored.
type Worker struct {
	store     Store
	email     EmailSender
	sms       SMSSender
	publicURL string
	logger    *slog.Logger
	// Backoff is the wait after each failed try (DefaultBackoff unless set).
	Backoff []time.Duration
	// Now is the clock (time.Now unless set).
	Now func() time.Time
	// Observe, if set, is told the outcome of every try, once it is
	// recorded (for metrics). It must not block.
	Observe func(channel string, outcome Outcome)
	wake    chan struct{}
}

// Outcome is how one try at a notification went.
type Outcome string

// The outcomes of a try.
const (
	Sent   Outcome = "sent"   // handed over (or kept in the dev mailbox)
	Retry  Outcome = "retry"  // failed; it will be tried again
	Failed Outcome = "failed" // failed for good: given up
)

// NewWorker returns a worker sending e-mail and text messages through email
// and sms, with links to the portal at publicURL (the server's address as
// tenants reach it).
func NewWorker(store Store, email EmailSender, sms SMSSender, publicURL string, logger *slog.Logger) *Worker {
	return &Worker{store: store, email: email, sms: sms, publicURL: strings.TrimRight(publicURL, "/"), logger: logger,
		Backoff: DefaultBackoff, Now: time.Now, wake: make(chan struct{}, 1)}
}

// Wake tells the worker that something was queued. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends what is due, then waits for more, until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	for {
		w.drain(ctx)
		wait := idleCheck
		if next, ok, err := w.store.NextNotificationDue(ctx); err != nil {
			w.logger.Error("notifications: reading the queue", "err", err)
		} else if ok {
			wait = min(max(next.Sub(w.Now()), 0), idleCheck)
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// drain sends every notification due now.
func (w *Worker) drain(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := w.store.DueNotifications(ctx, w.Now(), batchSize)
		if err != nil {
			w.logger.Error("notifications: reading the queue", "err", err)
			return
		}
		for _, n := range due {
			w.deliver(ctx, n)
		}
		if len(due) < batchSize {
			return
		}
	}
}

// deliver makes one try at n and records how it went.
func (w *Worker) deliver(ctx context.Context, n backend.PendingNotification) {
	log := w.logger.With("notification", n.ID, "channel", n.Channel, "tenant", n.Tenant.ID, "conversation", n.ConversationID)
	err := w.send(ctx, n)
	if ctx.Err() != nil {
		return // shutting down: it stays queued
	}
	switch {
	case err == nil:
		note := ""
		if w.toMailbox(n.Channel) {
			note = "Kept in the server's dev mailbox: no e-mail or SMS service is set up, so the tenant did not get it."
		}
		if rerr := w.store.NotificationSent(ctx, n.ID, note); rerr != nil {
			log.Error("notifications: recording a sent notification", "err", rerr)
			return
		}
		w.observe(n.Channel, Sent)
		log.Info("notification sent", "to", n.Recipient)
	case Permanent(err) || n.Attempts >= len(w.Backoff):
		reason := err.Error()
		if !Permanent(err) {
			reason = fmt.Sprintf("Gave up after %d tries: %s", n.Attempts+1, reason)
		}
		if rerr := w.store.NotificationFailed(ctx, n.ID, reason); rerr != nil {
			log.Error("notifications: recording a failure", "err", rerr)
		}
		w.observe(n.Channel, Failed)
		log.Error("notification failed", "to", n.Recipient, "reason", reason)
	default:
		next := w.Now().Add(w.Backoff[n.Attempts])
		if rerr := w.store.NotificationRetry(ctx, n.ID, err.Error(), next); rerr != nil {
			log.Error("notifications: recording a retry", "err", rerr)
		}
		w.observe(n.Channel, Retry)
		log.Warn("notification not sent yet; will retry", "to", n.Recipient, "err", err, "next_try", next)
	}
}

func (w *Worker) observe(channel string, outcome Outcome) {
	if w.Observe != nil {
		w.Observe(channel, outcome)
	}
}

// toMailbox reports whether a channel goes to the dev mailbox.
func (w *Worker) toMailbox(channel string) bool {
	var sender any = w.email
	if channel == backend.ChannelSMS {
		sender = w.sms
	}
	_, ok := sender.(*Mailbox)
	return ok
}

// send writes n, with a fresh portal link, and hands it to its channel.
func (w *Worker) send(ctx context.Context, n backend.PendingNotification) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	token, err := w.store.CreateTenantInvite(ctx, n.OrgID, n.Tenant.ID)
	if err != nil {
		return fmt.Errorf("making the portal link: %w", err)
	}
	link := linkFor{url: w.publicURL + "/portal/i/" + token, until: w.Now().Add(backend.InviteTTL)}
	if n.TenantLanguage != "" {
		// The link's page is shown before anyone is signed in: the link
		// says which language it is in.
		link.url += "?lang=" + n.TenantLanguage
	}
	switch n.Channel {
	case backend.ChannelEmail:
		subject, text := emailText(n, link)
		return w.email.SendEmail(ctx, Email{To: n.Recipient, ToName: n.Tenant.Name, Subject: subject, Text: text})
	case backend.ChannelSMS:
		to, err := NormalizePhone(n.Recipient)
		if err != nil {
			return err
		}
		return w.sms.SendSMS(ctx, SMS{To: to, Text: smsText(n, link)})
	}
	return permanent(fmt.Errorf("unknown channel %q", n.Channel))
}

// linkFor is a notification's portal link and when it stops working.
type linkFor struct {
	url   string
	until time.Time
}

// untilDate is the last day a link works, as the tenant's language writes
// it, in the organisation's time zone (UTC when it is unknown).
func untilDate(n backend.PendingNotification, link linkFor) string {
	loc, err := time.LoadLocation(n.TimeZone)
	if err != nil || n.TimeZone == "" {
		loc = time.UTC
	}
	return i18n.Date(n.TenantLanguage, link.until.In(loc))
}

// emailText is the subject and body of a notification e-mail, in the
// tenant's language.
func emailText(n backend.PendingNotification, link linkFor) (subject, text string) {
	lang := n.TenantLanguage
	where := ""
	if n.ConversationTitle != "" {
		where = " (" + n.ConversationTitle + ")"
	}
	var what string
	switch n.Kind {
	case backend.NotifySignInLink:
		subject = i18n.Text(lang, "mail.signInLink.subject")
		what = i18n.Text(lang, "mail.signInLink.body", n.LandlordName, n.OrgName)
	case backend.NotifyNewMessages:
		subject = i18n.Text(lang, "mail.newMessages.subject", n.LandlordName)
		what = i18n.Text(lang, "mail.newMessages.body", n.LandlordName, n.OrgName, where)
	default:
		subject = i18n.Text(lang, "mail.newChat.subject", n.LandlordName)
		what = i18n.Text(lang, "mail.newChat.body", n.LandlordName, n.OrgName, where)
	}
	text = fmt.Sprintf("%s\n\n%s\n\n%s\n%s\n\n%s\n\n— %s\n",
		i18n.Text(lang, "mail.greeting", n.Tenant.Name), what, i18n.Text(lang, "mail.readHere"), link.url,
		i18n.Text(lang, "mail.footer", untilDate(n, link)), n.OrgName)
	return subject, text
}

// NormalizePhone turns a phone number as landlords type it into E.164:
// spaces, dashes, dots and brackets go; "00" becomes "+"; ten digits, or
// eleven starting with 1, are taken as North American (+1). Anything else
// without a country code is refused, permanently, with a sentence saying
// how to write it.
func NormalizePhone(raw string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" -.()/", r):
		default:
			return "", invalid("The phone number %q has characters a phone number cannot have.", raw)
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+"):
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case len(n) == 10:
		n = "+1" + n
	case len(n) == 11 && n[0] == '1':
		n = "+" + n
	}
	if !e164.MatchString(n) {
		return "", invalid("The phone number %q has no country code; write it as +<country code><number>, e.g. +1 312 555 0142.", raw)
	}
	return n, nil
}

// smsText is the body of a notification text message, in the tenant's
// language.
func smsText(n backend.PendingNotification, link linkFor) string {
	id := "sms.newChat"
	switch n.Kind {
	case backend.NotifyNewMessages:
		id = "sms.newMessages"
	case backend.NotifySignInLink:
		id = "sms.signInLink"
	}
	return i18n.Text(n.TenantLanguage, id, n.LandlordName, n.OrgName, link.url, untilDate(n, link))
}
