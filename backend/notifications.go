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
}
