package backend_test

import (
	"fmt"
	"testing"
	"time"

	"doorstep/backend"
)

func TestPlanNotifications(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		email, phone string
		want         string
	}{
		{"a@x.test", "555-0100", "[{email a@x.test queued } {sms 555-0100 queued }]"},
		{"a@x.test", "", "[{email a@x.test queued } {sms  skipped No phone number on file.}]"},
		{"", "555-0100", "[{email  skipped No e-mail address on file.} {sms 555-0100 queued }]"},
	} {
		if got := fmt.Sprint(backend.PlanNotifications(c.email, c.phone)); got != c.want {
			t.Errorf("PlanNotifications(%q, %q) = %s, want %s", c.email, c.phone, got, c.want)
		}
	}
}

func TestNewMessageEmailDue(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	const interval, grace = time.Hour, 2 * time.Minute
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, c := range []struct {
		name                   string
		firstUnread, lastEmail time.Time
		due                    bool
	}{
		{"NothingUnread", time.Time{}, time.Time{}, false},
		{"SettledNeverMailed", ago(3 * time.Minute), time.Time{}, true},
		{"JustSettled", ago(grace), time.Time{}, true},
		{"NotSettled", ago(grace - time.Second), time.Time{}, false},
		{"MailedWithinTheInterval", ago(3 * time.Minute), ago(30 * time.Minute), false},
		{"MailedAnIntervalAgo", ago(3 * time.Minute), ago(interval), true},
	} {
		if got := backend.NewMessageEmailDue(c.firstUnread, c.lastEmail, now, interval, grace); got != c.due {
			t.Errorf("%s: due %v, want %v", c.name, got, c.due)
		}
	}
}

func TestNotificationNames(t *testing.T) {
	t.Parallel()
	if got := backend.LandlordName("Pat Morgan", "Maple Street Rentals"); got != "Pat Morgan" {
		t.Errorf("landlord name = %q", got)
	}
	if got := backend.LandlordName("", "Maple Street Rentals"); got != "Maple Street Rentals" {
		t.Errorf("landlord name without a main user = %q", got)
	}
	if got := backend.NotificationTitle("Maple Court", "2B", true); got != "Maple Court · 2B" {
		t.Errorf("group title = %q", got)
	}
	if got := backend.NotificationTitle("", "", false); got != "" {
		t.Errorf("one-to-one title = %q", got)
	}
}
