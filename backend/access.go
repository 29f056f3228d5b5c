package backend

import "time"

// Who may do what. Each rule is a function of the principal and of what a
// store found; stores and handlers ask these instead of deciding.

// MayStartConversation refuses whoever may not start a chat: tenants answer
// chats but never start them, and only the main landlord user chats.
func (p Principal) MayStartConversation() error {
	if p.Kind == KindTenant {
		return Errorf(ETENANTCANNOTINITIATE, "Tenants can answer chats but not start them; your landlord starts the conversation.")
	}
	return p.CanChatAsLandlord()
}

// MayReadDeliveryLog refuses whoever may not read how notifications to
// tenants were delivered: only the main landlord user does.
func (p Principal) MayReadDeliveryLog() error {
	if p.Kind != KindUser {
		return Errorf(EFORBIDDEN, "Only your landlord sees how notifications were delivered.")
	}
	return p.MayChat()
}

// MayUpload refuses p the sharing of files on today: the main landlord user
// may; a tenant may while their lease lets them take part in at least one
// of chats, their conversations.
func MayUpload(p Principal, chats []Chat, today string) error {
	if p.Kind != KindTenant {
		return p.CanChatAsLandlord()
	}
	for _, c := range chats {
		if c.TenantActive(p.ID, today) {
			return nil
		}
	}
	return Errorf(ETENANTNOTACTIVE, "Your lease is no longer active, so you cannot share files.")
}

// FileShare is a message that carried a file: in which chat, and when.
type FileShare struct {
	Chat Chat
	At   time.Time
}

// MayFetchFile reports whether p may fetch f on today (in the landlord's
// time zone loc): the main landlord user may fetch every file of their
// organisation; a tenant the files they uploaded, and those shared in
// their conversations (shares) while that message is visible to them.
func MayFetchFile(p Principal, f File, shares []FileShare, today string, loc *time.Location) (bool, error) {
	if p.Kind != KindTenant {
		return p.CanChatAsLandlord() == nil, nil
	}
	if f.Uploader.Kind == KindTenant && f.Uploader.ID == p.ID {
		return true, nil
	}
	for _, s := range shares {
		if !s.Chat.HasMember(p.ID) {
			continue
		}
		cutoff, err := s.Chat.VisibleUntil(p, today, loc)
		if err != nil {
			return false, err
		}
		if Visible(s.At, cutoff) {
			return true, nil
		}
	}
	return false, nil
}

// Refusals of things that do not exist, or that the caller may not know
// exist: the same answer either way, so ids reveal nothing.
var (
	ErrNoTenant       = Errorf(ENOTFOUND, "There is no such tenant.")
	ErrNoUnit         = Errorf(ENOTFOUND, "There is no such unit.")
	ErrNoConversation = Errorf(ENOTFOUND, "There is no such conversation.")
	ErrNoFile         = Errorf(ENOTFOUND, "There is no such file.")
)

// ErrNotYourFile refuses to attach file id to a message of someone who did
// not upload it.
func ErrNotYourFile(id int64) error {
	return Errorf(ENOTFOUND, "File %d is not one you uploaded.", id)
}
