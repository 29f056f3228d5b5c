package app

import (
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gen2brain/beeep"

	"doorstep/backend"
)

// notifyTimeout bounds one desktop notification: a notification daemon that
// hangs must never hold up the app.
const notifyTimeout = 3 * time.Second

// NotificationText is the title and body of a tenant's message notification:
// the tenant's name (and the unit, in a group chat), and the first line of
// the message. A notification cannot isolate what others wrote, so the
// direction controls that could reorder it (an override making
// "invoice\u202Egpj.exe" read "invoiceexe.jpg") show as U+FFFD.
func NotificationText(conv backend.Conversation, m backend.Message) (title, body string) {
	title = visibleControls(m.Sender.Name)
	switch {
	case conv.Kind == backend.ConversationGroup && conv.Title != "":
		title += " · " + visibleControls(conv.Title)
	case conv.Place != "":
		title += " · " + visibleControls(conv.Place)
	}
	body, _, _ = strings.Cut(strings.TrimSpace(m.Text), "\n")
	if utf8.RuneCountInString(body) > 140 {
		body = string([]rune(body)[:139]) + "…"
	}
	if body == "" && len(m.Files) > 0 {
		body = "Shared a file: " + m.Files[0].Name
	}
	return title, visibleControls(body)
}

// visibleControls replaces the direction controls that act on the text
// after them (embeddings, overrides, isolates) with U+FFFD; the marks
// (U+200E, U+200F, U+061C) are ordinary right-to-left writing and stay.
func visibleControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {
			return utf8.RuneError
		}
		return r
	}, s)
}

// DesktopNotifier shows native notifications through beeep (D-Bus on Linux,
// the notification centre on macOS and Windows). Failures are logged, never
// returned: a missing notification daemon must not stop the chat.
type DesktopNotifier struct {
	Logger  *slog.Logger
	Enabled func() bool
}

// Notify shows a notification for a tenant's message, in the background.
func (n DesktopNotifier) Notify(conv backend.Conversation, m backend.Message) {
	n.show(NotificationText(conv, m))
}

// NotifyUrgent shows an urgent message's notification, titled so that it
// stands apart: "Urgent — Maria Garcia · Maple Court · 1A".
func (n DesktopNotifier) NotifyUrgent(conv backend.Conversation, m backend.Message) {
	title, body := NotificationText(conv, m)
	n.show(backend.UrgentTitle(title), body)
}

// NotifySummary shows the one notification that sums up what quiet hours
// held back: "5 new messages in 3 conversations".
func (n DesktopNotifier) NotifySummary(messages, conversations int) {
	n.show(backend.QuietHoursSummaryTitle, backend.HeldSummary(messages, conversations))
}

// show hands a notification to the system in the background.
func (n DesktopNotifier) show(title, body string) {
	if n.Enabled != nil && !n.Enabled() {
		return
	}
	done := make(chan error, 1)
	go func() { done <- beeep.Notify(title, body, "") }()
	go func() {
		select {
		case err := <-done:
			if err != nil {
				n.Logger.Warn("desktop notification failed", "err", err)
			}
		case <-time.After(notifyTimeout):
			n.Logger.Warn("desktop notification timed out")
		}
	}()
}

func init() { beeep.AppName = "Doorstep" }
