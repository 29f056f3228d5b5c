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
// the message.
func NotificationText(conv backend.Conversation, m backend.Message) (title, body string) {
	title = m.Sender.Name
	switch {
	case conv.Kind == backend.ConversationGroup && conv.Title != "":
		title += " · " + conv.Title
	case conv.Place != "":
		title += " · " + conv.Place
	}
	body, _, _ = strings.Cut(strings.TrimSpace(m.Text), "\n")
	if utf8.RuneCountInString(body) > 140 {
		body = string([]rune(body)[:139]) + "…"
	}
	if body == "" && len(m.Files) > 0 {
		body = "Shared a file: " + m.Files[0].Name
	}
	return title, body
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
	if n.Enabled != nil && !n.Enabled() {
		return
	}
	title, body := NotificationText(conv, m)
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
