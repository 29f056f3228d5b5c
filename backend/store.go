package backend

import (
	"context"
	"time"
)

// The store contracts. A store (backend/sqlite today, a PostgreSQL one
// later) keeps them; the HTTP server, the notification worker and the
// server's commands depend on these interfaces only. backend/storetest
// holds the behaviour every store must show, run against each of them.
//
// A store answers questions and persists decisions; the rules that decide
// (lease status, who may start, send, read or upload, what a tenant whose
// lease ended may still see) and the sentences people read are the
// functions of this package, which every store calls, so two stores cannot
// disagree about a rule.

// Store is everything the HTTP API serves from.
type Store interface {
	HealthChecker
	SessionStore
	ChatStore
	FileRecords
	EventLog
	DeliveryLog
	AttentionStore
	ChainStore
	TemplateStore
}

// HealthChecker answers the health check.
type HealthChecker interface {
	// Ping checks that the store answers a query.
	Ping(ctx context.Context) error
	// ServerID is the random identifier made when the store was created.
	ServerID(ctx context.Context) (string, error)
	// ProbeWrite makes a tiny durable write, to show the store can write;
	// on a full or read-only disk it fails with a *StorageError.
	ProbeWrite(ctx context.Context) error
}

// SessionStore signs people in and out and says who holds a session.
type SessionStore interface {
	// SignIn checks a landlord user's e-mail and password and opens a session.
	SignIn(ctx context.Context, email, password string) (Session, error)
	// SignOut ends the session of token; an unknown or ended one is no error.
	SignOut(ctx context.Context, token string) error
	// Authenticate returns who holds a live session token; anything else is
	// EUNAUTHORIZED, all alike.
	Authenticate(ctx context.Context, token string) (Principal, error)
	// Me describes the holder of a live session token and their organisation.
	Me(ctx context.Context, token string) (Me, error)
	// CreateTenantInvite makes a single-use link token with which a tenant
	// of orgID opens a session.
	CreateTenantInvite(ctx context.Context, orgID, tenantID int64) (string, error)
	// RedeemInvite turns an unused, unexpired invite token into a tenant
	// session.
	RedeemInvite(ctx context.Context, token string) (Session, error)
	// QueueSignInLinks queues a NotifySignInLink notification to contact
	// (an e-mail address or phone number, as SignInContact reads it) for
	// each tenant who has it on file and a chat their lease lets them take
	// part in today (SignInLinkConversation), at most MaxSignInLinks, and
	// says how many it queued. Anything else queues nothing and is no error.
	QueueSignInLinks(ctx context.Context, contact string) (int, error)
	// SetSessionDevice records the User-Agent a session signed in with (at
	// most MaxUserAgent bytes kept); an unknown session is no error.
	SetSessionDevice(ctx context.Context, sessionID, userAgent string) error
	// LiveSessions lists p's sessions that have not ended, newest first,
	// each with DeviceDescription of its User-Agent (Current unset).
	LiveSessions(ctx context.Context, p Principal) ([]SessionInfo, error)
	// EndAllSessions ends every live session of p, this one included (the
	// portal's "Sign out everywhere"), and says how many it ended; the
	// session end sink hears of them.
	EndAllSessions(ctx context.Context, p Principal) (int, error)
	// SetTenantLanguage sets the language (a code of Languages, or "" for
	// none) tenant tenantID reads Doorstep in; their sessions see it on
	// their next request. An unknown tenant is ENOTFOUND.
	SetTenantLanguage(ctx context.Context, tenantID int64, language string) error
	// EndedSessions returns those of the given session ids (SessionRef.ID)
	// that have ended: signed out or revoked, by any process, expired, or
	// unknown.
	EndedSessions(ctx context.Context, ids []string) ([]string, error)
	// Now is the store's clock, by which sessions expire.
	Now() time.Time
}

// ChatStore holds the directory, conversations and messages. Every method
// applies the chat rules of this package itself (who may start, read and
// send), so no caller can forget one.
type ChatStore interface {
	// Directory lists the landlord's tenants and units matching query, each
	// with whether a chat can be started and why not.
	Directory(ctx context.Context, p Principal, query string) (Directory, error)
	// TenantRecord is everything the landlord knows about one tenant.
	TenantRecord(ctx context.Context, p Principal, tenantID int64) (TenantRecord, error)
	// Conversations lists p's conversations, most recent activity first.
	Conversations(ctx context.Context, p Principal) ([]Conversation, error)
	// Conversation is one conversation as p sees it.
	Conversation(ctx context.Context, p Principal, id int64) (Conversation, error)
	// StartConversation opens a chat, or returns the one that exists
	// (created false).
	StartConversation(ctx context.Context, p Principal, req StartConversation) (Conversation, bool, error)
	// Messages is a page of a conversation's messages, in seq order.
	Messages(ctx context.Context, p Principal, convID int64, page MessagePage) ([]Message, error)
	// SendMessage stores a message and returns it once durable; a resend
	// with the same key returns the first one.
	SendMessage(ctx context.Context, p Principal, convID int64, req SendMessage) (Message, error)
	// MarkRead moves p's read position forward (never back).
	MarkRead(ctx context.Context, p Principal, convID, seq int64) error
	// MarkUnread moves p's read position back to just before the newest
	// message from someone else (see UnreadSeq), and returns the
	// conversation as p sees it then; landlord only (MayMarkUnread).
	MarkUnread(ctx context.Context, p Principal, convID int64) (Conversation, error)
}

// FileRecords keeps uploaded files' records and says who may fetch them.
// The bytes live elsewhere (backend/filestore), under the storage name.
type FileRecords interface {
	// CanUpload refuses a principal who may not upload files.
	CanUpload(ctx context.Context, p Principal) error
	// CreateFile records an uploaded file with p as its uploader.
	CreateFile(ctx context.Context, p Principal, f NewFile) (File, error)
	// FileForDownload returns a file's record and storage name if p may
	// fetch it; anything else is ENOTFOUND, so ids reveal nothing.
	FileForDownload(ctx context.Context, p Principal, fileID int64) (File, string, error)
	// ConversationFiles lists the files shared in a conversation that p may
	// see, newest first.
	ConversationFiles(ctx context.Context, p Principal, convID int64) ([]SharedFile, error)
}

// EventLog is each recipient's log of events, replayed by `since`.
type EventLog interface {
	// Events returns up to limit of p's events with ids above since, oldest
	// first, or an error wrapping ErrResync when some of them are no longer
	// kept, or when since is beyond the newest id the log ever gave (the
	// client saw a history the log no longer has: a restore from a backup).
	Events(ctx context.Context, p Principal, since int64, limit int) ([]Event, error)
	// LatestEventID is where a client that has just loaded its state starts
	// listening: the id of p's newest event, never below the newest id
	// pruned (so `since` from it needs no resync); 0 for a new log.
	LatestEventID(ctx context.Context, p Principal) (int64, error)
}

// AttentionStore keeps each landlord user's attention settings (quiet
// hours, emergency words, muted conversations). Only a landlord user who
// may chat has them: a tenant is forbidden, a sub-user main_user_only.
// Every change is also an EventSettings event to the user, with the
// settings as they now are, so their other devices follow.
type AttentionStore interface {
	// AttentionSettings are p's settings; the defaults until p saves any.
	AttentionSettings(ctx context.Context, p Principal) (AttentionSettings, error)
	// SaveAttentionSettings replaces p's schedule and emergency words
	// (checked by AttentionUpdate.Validate); mutes are kept.
	SaveAttentionSettings(ctx context.Context, p Principal, u AttentionUpdate) (AttentionSettings, error)
	// MuteConversation mutes one of p's conversations (replacing a mute
	// there was), until a time in the future or until unmuted.
	MuteConversation(ctx context.Context, p Principal, convID int64, req MuteRequest) (AttentionSettings, error)
	// UnmuteConversation ends a mute; a conversation not muted is no error.
	UnmuteConversation(ctx context.Context, p Principal, convID int64) (AttentionSettings, error)
}

// TemplateStore keeps each organisation's message templates. Only the
// main landlord user has them: a tenant is forbidden, a sub-user
// main_user_only. An organisation is given the default templates
// (DefaultTemplates) the first time any of these is asked of it. Every
// change is also an EventTemplates event to the user, with the list as it
// now is, so their other devices follow.
type TemplateStore interface {
	// Templates lists p's organisation's templates, by name.
	Templates(ctx context.Context, p Principal) ([]Template, error)
	// CreateTemplate adds a template (checked by TemplateDraft.Validate),
	// refusing a name the organisation already has (ECONFLICT), or one
	// template more than MaxTemplates.
	CreateTemplate(ctx context.Context, p Principal, d TemplateDraft) (Template, error)
	// UpdateTemplate replaces a template's name and text; ENOTFOUND when
	// the organisation has no such template.
	UpdateTemplate(ctx context.Context, p Principal, id int64, d TemplateDraft) (Template, error)
	// DeleteTemplate removes a template; ENOTFOUND when the organisation
	// has no such template.
	DeleteTemplate(ctx context.Context, p Principal, id int64) error
}

// DeliveryLog is the record of the e-mails and text messages sent to
// tenants, as the landlord reads it.
type DeliveryLog interface {
	// ConversationNotifications is a conversation's delivery log, newest
	// first; only the main landlord user may read it.
	ConversationNotifications(ctx context.Context, p Principal, convID int64) ([]Notification, error)
}

// NotificationQueue is the outbox of e-mails and text messages to tenants,
// as the sender works through it.
type NotificationQueue interface {
	// DueNotifications returns up to limit queued notifications due by now,
	// oldest due first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]PendingNotification, error)
	// NextNotificationDue is when the next queued notification is due (ok
	// false when none is queued).
	NextNotificationDue(ctx context.Context) (t time.Time, ok bool, err error)
	// NotificationSent records that a queued notification was handed over.
	NotificationSent(ctx context.Context, id int64, note string) error
	// NotificationRetry records a failed try and when to try again.
	NotificationRetry(ctx context.Context, id int64, reason string, next time.Time) error
	// NotificationFailed gives a queued notification up.
	NotificationFailed(ctx context.Context, id int64, reason string) error
	// QueueNewMessageEmails queues a "new messages" e-mail for each tenant
	// not online with unread messages from others, at most one per tenant
	// and conversation per interval, and says how many it queued.
	QueueNewMessageEmails(ctx context.Context, now time.Time, interval, grace time.Duration, online func(tenantID int64) bool) (int, error)
}

// Accounts creates organisations and their users, and finds people for the
// server's host.
type Accounts interface {
	// CreateOrg creates a landlord organisation in the IANA time zone tz.
	CreateOrg(ctx context.Context, name, tz string) (int64, error)
	// CreateLandlord creates an organisation and its main user together.
	CreateLandlord(ctx context.Context, orgName, tz, email, name, password string) (int64, error)
	// SetOrgFormats sets how an organisation's money and dates are
	// written (OrgFormats.Validate first; an unknown org is ENOTFOUND).
	SetOrgFormats(ctx context.Context, orgID int64, f OrgFormats) error
	// CreateUser adds a main user or a sub-user to an organisation.
	CreateUser(ctx context.Context, orgID int64, email, name, password string, isMain bool) (int64, error)
	// OrgOfMainUser is the organisation whose main user has this e-mail
	// (any case, spaces around it ignored); any other is ErrNoMainAccount.
	OrgOfMainUser(ctx context.Context, email string) (int64, error)
	// TenantByEmail finds the one tenant with this e-mail address.
	TenantByEmail(ctx context.Context, email string) (TenantMatch, error)
	// SignOutEverywhere ends every live session of the people with this
	// e-mail address.
	SignOutEverywhere(ctx context.Context, email string) ([]SignedOut, error)
}

// Maintenance is what the server's periodic jobs ask of a store.
type Maintenance interface {
	// PruneEvents deletes events older than before; asking for them
	// afterwards answers ErrResync.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}

// CommitHooks tell the live parts of the server what a store made durable.
// Each hook runs once the write is durable, never for a write that failed,
// and must not block.
type CommitHooks interface {
	// SetEventSink registers f to receive every event once it is stored.
	SetEventSink(f func([]Delivery))
	// SetSessionEndSink registers f to hear of sessions ended through this
	// store (sign-out, revocation).
	SetSessionEndSink(f func(ids ...string))
	// SetNotificationsQueued registers f to be called once notifications
	// were queued.
	SetNotificationsQueued(f func())
}
