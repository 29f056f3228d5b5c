package backend

import "time"

// What a notification is about.
const (
	NotifyNewChat     = "new_chat"     // the landlord started a chat with the tenant
	NotifyNewMessages = "new_messages" // messages wait for a tenant who is not online
)

// How a notification travels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Where a notification is.
const (
	NotificationQueued  = "queued"  // waiting for its first or next try
	NotificationSent    = "sent"    // handed to the mail server or SMS provider
	NotificationFailed  = "failed"  // given up; Reason says why
	NotificationSkipped = "skipped" // never sent: the tenant has no address or number for it
)

// Notification is one e-mail or text message to a tenant, as the delivery
// log shows it to the landlord.
type Notification struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Tenant         TenantRef `json:"tenant"`
	Kind           string    `json:"kind"`
	Channel        string    `json:"channel"`
	Recipient      string    `json:"recipient"` // the address or number it went to ("" when skipped)
	State          string    `json:"state"`
	// Reason says why it failed or was skipped, or, while queued, what went
	// wrong with the last try.
	Reason        string     `json:"reason,omitempty"`
	Attempts      int        `json:"attempts"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // while queued
}

// PendingNotification is a queued notification with what a sender needs to
// write it.
type PendingNotification struct {
	Notification
	OrgID        int64
	OrgName      string
	LandlordName string
	// ConversationTitle names a group chat by its unit ("Maple Court · 2B");
	// empty for a one-to-one chat.
	ConversationTitle string
	// TenantLanguage is the tenant's language ("en", "es"; "" while not
	// set, which is English).
	TenantLanguage string
	// TimeZone is the organisation's (IANA), in which dates are written.
	TimeZone string
}

// PlannedNotification is one notification to write for a tenant: where it
// goes and whether it waits to be sent or is skipped, and why.
type PlannedNotification struct {
	Channel   string
	Recipient string // "" when skipped
	State     string // NotificationQueued or NotificationSkipped
	Reason    string // why it is skipped
}

// PlanNotifications is what a tenant with this e-mail address and phone
// number is sent of a notification: an e-mail and a text message, each
// queued when there is somewhere to send it, else skipped with the reason,
// so the delivery log shows every tenant.
func PlanNotifications(email, phone string) []PlannedNotification {
	plan := func(channel, to, missing string) PlannedNotification {
		if to == "" {
			return PlannedNotification{Channel: channel, State: NotificationSkipped, Reason: missing}
		}
		return PlannedNotification{Channel: channel, Recipient: to, State: NotificationQueued}
	}
	return []PlannedNotification{
		plan(ChannelEmail, email, "No e-mail address on file."),
		plan(ChannelSMS, phone, "No phone number on file."),
	}
}

// NewMessageEmailDue reports whether a tenant is due a "new messages"
// e-mail about a conversation at now. firstUnread is when the first message
// from others they have not read, written after the last e-mail they were
// sent about it, was written (zero: none); lastEmail is when the last e-mail
// about the conversation that was not skipped was queued (zero: never). A
// message must have settled for grace (they may be reading it), and at most
// one e-mail goes per interval, the new-chat e-mail included. The tenant's
// lease is asked separately (Chat.TenantActive), as is whether they are
// online.
func NewMessageEmailDue(firstUnread, lastEmail, now time.Time, interval, grace time.Duration) bool {
	if firstUnread.IsZero() || firstUnread.After(now.Add(-grace)) {
		return false
	}
	return lastEmail.IsZero() || !lastEmail.After(now.Add(-interval))
}

// LandlordName is how tenants' notifications name their landlord: the main
// user's name, or the organisation's while it has no main user.
func LandlordName(mainUser, org string) string {
	if mainUser == "" {
		return org
	}
	return mainUser
}

// NotificationTitle is the conversation a notification names: a group
// chat's unit ("Maple Court · 2B"); empty for a one-to-one chat, which is
// simply with the landlord.
func NotificationTitle(property, unit string, group bool) string {
	if !group {
		return ""
	}
	return UnitTitle(property, unit)
}
