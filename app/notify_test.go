package app

import (
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"doorstep/backend"
)

func TestNotificationText(t *testing.T) {
	t.Parallel()
	group := backend.Conversation{Kind: backend.ConversationGroup, Title: "Maple Court · 2B"}
	m := backend.Message{Sender: backend.Sender{Kind: backend.KindTenant, Name: "Emily Chen"}, Text: "  The heating is off\nsince this morning.\nCan someone come?"}
	title, body := NotificationText(group, m)
	if title != "Emily Chen · Maple Court · 2B" || body != "The heating is off" {
		t.Errorf("group: %q / %q", title, body)
	}
	direct := backend.Conversation{Kind: backend.ConversationDirect, Title: "James Okafor", Place: "Maple Court · 1B"}
	long := backend.Message{Sender: backend.Sender{Name: "James Okafor"}, Text: string(make([]rune, 300))}
	if title, body := NotificationText(direct, long); title != "James Okafor · Maple Court · 1B" || len([]rune(body)) != 140 {
		t.Errorf("direct: %q / %d runes", title, len([]rune(body)))
	}
}

// TestNotificationTextCannotBeReordered: a right-to-left override in a
// name, a message or a file name shows as a mark in the notification.
func TestNotificationTextCannotBeReordered(t *testing.T) {
	t.Parallel()
	conv := backend.Conversation{Kind: backend.ConversationDirect, Place: "Maple Court · 2B"}
	file := backend.Message{Sender: backend.Sender{Name: "Mallory\u202E"}, Files: []backend.File{{Name: "invoice\u202Egpj.exe"}}}
	if title, body := NotificationText(conv, file); title != "Mallory\uFFFD · Maple Court · 2B" || body != "Shared a file: invoice\uFFFDgpj.exe" {
		t.Errorf("file: %q / %q", title, body)
	}
	text := backend.Message{Sender: backend.Sender{Name: "Dana"}, Text: "pay \u2067now\u2069 \u202Dplease"}
	if _, body := NotificationText(conv, text); body != "pay \uFFFDnow\uFFFD \uFFFDplease" {
		t.Errorf("text: %q", body)
	}
	hebrew := backend.Message{Sender: backend.Sender{Name: "Noa"}, Text: "שלום\u200F!"}
	if _, body := NotificationText(conv, hebrew); body != hebrew.Text {
		t.Errorf("a right-to-left mark was changed: %q", body)
	}
}

// notificationServer owns org.freedesktop.Notifications on the session bus
// and records the calls, as a desktop's notification daemon would get them.
type notificationServer struct{ got chan [2]string }

func (n *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.got <- [2]string{summary, body}
	return 1, nil
}

func (n *notificationServer) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }

func (n *notificationServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "doorstep-test", "doorstep", "1", "1.2", nil
}

// TestDesktopNotificationOverDBus sends a real notification over the session
// bus (make test runs Go tests inside dbus-run-session).
func TestDesktopNotificationOverDBus(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus: run through `make test-go` (dbus-run-session)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := &notificationServer{got: make(chan [2]string, 4)}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the notifications name: %v %v", reply, err)
	}

	n := DesktopNotifier{Logger: quiet}
	n.Notify(backend.Conversation{Kind: backend.ConversationDirect, Title: "Olivia Brown", Place: "Riverside Lofts · 101"},
		backend.Message{Sender: backend.Sender{Kind: backend.KindTenant, Name: "Olivia Brown"}, Text: "Can I paint the bedroom?\nBlue."})
	select {
	case got := <-srv.got:
		if got != [2]string{"Olivia Brown · Riverside Lofts · 101", "Can I paint the bedroom?"} {
			t.Errorf("notification = %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification reached the bus")
	}

	// Off, then on again: the first to reach the bus must be the second.
	on := true
	toggled := DesktopNotifier{Logger: quiet, Enabled: func() bool { return on }}
	on = false
	toggled.Notify(backend.Conversation{}, backend.Message{Text: "quiet please"})
	on = true
	toggled.Notify(backend.Conversation{}, backend.Message{Text: "back on"})
	select {
	case got := <-srv.got:
		if got[1] != "back on" {
			t.Errorf("notifications were off, yet %q was shown", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification reached the bus once they were on again")
	}
	select {
	case got := <-srv.got:
		t.Errorf("notifications were off, yet %q was shown", got)
	default:
	}
}

// TestNotificationWithoutABusNeverBlocks: with no session bus the notifier
// returns at once and only logs.
func TestNotificationWithoutABusNeverBlocks(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/doorstep-bus")
	start := time.Now()
	DesktopNotifier{Logger: quiet}.Notify(backend.Conversation{}, backend.Message{Text: "hello"})
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify took %v", d)
	}
}
