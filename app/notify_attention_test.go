package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// ownNotifications owns org.freedesktop.Notifications on the session bus
// for the test and returns what it receives.
func ownNotifications(t *testing.T) <-chan [2]string {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus: run through `make test-go` (dbus-run-session)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	srv := &notificationServer{got: make(chan [2]string, 16)}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the notifications name: %v %v", reply, err)
	}
	return srv.got
}

// TestUrgentBreaksThroughOverDBus: the engine with the desktop notifier,
// the real server and a real D-Bus notification server. A muted
// conversation's message shows nothing; a tenant's urgent message in it
// shows at once, titled "Urgent — …"; what quiet hours held shows as one
// summary when they are turned off.
func TestUrgentBreaksThroughOverDBus(t *testing.T) {
	got := ownNotifications(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := servertest.StartDemo(t)
	landlord, me := s.Landlord(t)
	cc, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	notifier := DesktopNotifier{Logger: quiet}
	eng := engine.New(cc, landlord, me.Principal, nil, notifier.Notify, quiet)
	eng.NotifyUrgent, eng.NotifySummary = notifier.NotifyUrgent, notifier.NotifySummary
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; cc.Close() })
	wait.For(t, "online", func() bool { return eng.State().State == engine.StateOnline })

	olivia := s.Tenant(t, "Olivia Brown")
	list, err := olivia.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv := list[0].ID
	if _, err := landlord.MuteConversation(ctx, conv, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "muted", func() bool { return backend.Muted(eng.Attention(), conv, time.Now()) })

	if _, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-mute-1", Text: "Can I paint the bedroom?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-urgent-1", Text: "Water is coming through the ceiling", Urgent: true}); err != nil {
		t.Fatal(err)
	}
	// The first to reach the bus is the urgent one: the muted one never does.
	select {
	case n := <-got:
		if n != [2]string{"Urgent — Olivia Brown · Riverside Lofts · 101", "Water is coming through the ceiling"} {
			t.Errorf("notification = %q", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no urgent notification reached the bus")
	}

	// Quiet hours all day: held; turned off: one summary.
	always := backend.QuietSchedule{TimeZone: "UTC"}
	for d := range always.Days {
		always.Days[d] = backend.QuietDay{Mode: backend.QuietAllDay}
	}
	if _, err := landlord.UnmuteConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if _, err := landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: always}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "quiet hours", func() bool { return backend.InQuietHours(eng.Attention().QuietHours, time.Now()) })
	if _, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-quiet-1", Text: "Blue, maybe."}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "held", func() bool { m, _, _ := cc.Held(ctx); return m == 1 })
	if _, err := landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: backend.DefaultAttentionSettings().QuietHours}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n != [2]string{"While quiet hours were on", "1 new message in 1 conversation"} {
			t.Errorf("notification = %q", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no summary reached the bus")
	}
	select {
	case n := <-got:
		t.Errorf("one more notification: %q", n)
	default:
	}
}
