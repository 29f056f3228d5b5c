package backend

import (
	"net/mail"
	"strings"
)

// A tenant who lost their way into the portal (the session ended, the link
// was opened on another device or spent by a mail scanner) asks for a new
// link with the e-mail address or phone number on file. The answer never
// says whether that address belongs to a tenant.

// NotifySignInLink is a notification carrying nothing but a fresh portal
// link the tenant asked for.
const NotifySignInLink = "sign_in_link"

// MaxSignInLinks bounds the links one request queues: a phone number a
// household shares may be on file for several tenants, each of whom gets
// their own link, but a request never fans out further.
const MaxSignInLinks = 5

// The sentences of the "new link" form.
const (
	// SignInLinkTitle offers the form.
	SignInLinkTitle = "E-mail (or text) me a new link"
	// SignInLinkPrompt says what to type.
	SignInLinkPrompt = "Type the e-mail address or phone number your landlord has on file for you. We send a new link there."
	// SignInLinkLabel labels the field.
	SignInLinkLabel = "E-mail address or phone number"
	// SignInLinkButton sends the form.
	SignInLinkButton = "Send me a new link"
	// SignInLinkAnswer is the one answer to every request, whether or not
	// the address is on file, so nobody learns who is a tenant.
	SignInLinkAnswer = "If that address is on file, a new link is on its way."
	// SignInLinkFormExpired is the answer to a form that was not sent by
	// this server's page (another site's, or one kept too long).
	SignInLinkFormExpired = "This form has expired. Please reload the page and try again."
)

// SignInContact reads what a tenant typed into the "new link" form: an
// e-mail address (channel ChannelEmail, the address trimmed) or a phone
// number (ChannelSMS, its digits). ok is false for anything else.
func SignInContact(s string) (channel, contact string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 254 || s == "" {
		return "", "", false
	}
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" {
			return "", "", false
		}
		return ChannelEmail, a.Address, true
	}
	digits := PhoneDigits(s)
	if len(digits) < 7 || len(digits) > 15 {
		return "", "", false
	}
	return ChannelSMS, digits, true
}

// PhoneDigits is a phone number's digits, without the punctuation people
// write it with; anything that is not a phone number gives "".
func PhoneDigits(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, strings.ContainsRune(" -.()/", r):
		default:
			return ""
		}
	}
	return b.String()
}

// SamePhone reports whether two phone numbers, as PhoneDigits gives them,
// are the same line, read as the sender reads numbers: "00" before a
// country code is dropped, and ten digits are North American (+1), so
// "+1 312 555 0142" and "(312) 555-0142" are one line. At least seven
// digits must match, so a short number matches nothing else.
func SamePhone(a, b string) bool {
	canonical := func(d string) string {
		d = strings.TrimPrefix(d, "00")
		if len(d) == 10 {
			d = "1" + d
		}
		return d
	}
	return len(a) >= 7 && len(b) >= 7 && canonical(a) == canonical(b)
}

// SignInLinkConversation picks the conversation a requested link is filed
// under in the delivery log: the newest of the tenant's chats (those they
// are a member of, with their leases loaded; by id) in
// which their lease lets them take part today. ok is false when there is
// none: a tenant whose lease ended, or who has no chat, is sent nothing.
func SignInLinkConversation(chats []Chat, tenantID int64, today string) (convID int64, ok bool) {
	for _, c := range chats {
		if c.TenantActive(tenantID, today) && c.ID > convID {
			convID, ok = c.ID, true
		}
	}
	return convID, ok
}
