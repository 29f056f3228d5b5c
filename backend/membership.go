package backend

import (
	"fmt"
	"slices"
	"time"
)

// Chat is a conversation as the rules see it: whom it is with, who takes
// part and on which leases. A store loads it; the methods below decide who
// is an active member on a date, who may write, what a tenant whose lease
// ended may still see, and how each viewer sees it.
type Chat struct {
	ID    int64
	OrgID int64
	// TenantID and TenantName name a one-to-one chat's tenant (0 and "" in a
	// group chat).
	TenantID   int64
	TenantName string
	// UnitID, Property and Unit name a group chat's unit (0 and "" in a
	// one-to-one chat).
	UnitID         int64
	Property, Unit string
	CreatedAt      time.Time
	LastSeq        int64
	// Members are the tenants taking part, by name.
	Members []TenantRef
	// MemberReadSeq is how far each member (by tenant id) has read.
	MemberReadSeq map[int64]int64
	// Leases are the members' leases in the landlord's organisation, newest
	// first, each naming (at least) the members on it. A store may load only
	// some members' leases when it asks only about them.
	Leases []Lease
}

// IsGroup reports whether c is a unit's group chat.
func (c Chat) IsGroup() bool { return c.UnitID != 0 }

// Title is c's name as the landlord sees it: the tenant's name, or the
// unit's "Property · Unit".
func (c Chat) Title() string {
	if c.IsGroup() {
		return UnitTitle(c.Property, c.Unit)
	}
	return c.TenantName
}

// HasMember reports whether tenantID takes part in c.
func (c Chat) HasMember(tenantID int64) bool {
	return slices.ContainsFunc(c.Members, func(m TenantRef) bool { return m.ID == tenantID })
}

// leasesFor returns the leases that let tenantID take part in c: in a group
// chat those of its unit, in a one-to-one chat any of theirs.
func (c Chat) leasesFor(tenantID int64) []Lease {
	var out []Lease
	for _, l := range c.Leases {
		if l.Has(tenantID) && (!c.IsGroup() || l.UnitID == c.UnitID) {
			out = append(out, l)
		}
	}
	return out
}

// TenantActive reports whether tenantID's lease lets them take part in c on
// today (send, and be told of new messages): an Active lease of the chat's
// unit in a group chat, any Active lease in a one-to-one chat.
func (c Chat) TenantActive(tenantID int64, today string) bool {
	return HasActiveLease(c.leasesFor(tenantID), today)
}

// ActiveMembers returns the ids, in increasing order, of c's members who
// take part on today: who new messages reach.
func (c Chat) ActiveMembers(today string) []int64 {
	var out []int64
	for _, m := range c.Members {
		if c.TenantActive(m.ID, today) {
			out = append(out, m.ID)
		}
	}
	slices.Sort(out)
	return out
}

// TenantReadOnlyReason is what a tenant whose lease is no longer Active is
// told of each of their chats, and when they try to write in one.
const TenantReadOnlyReason = "Your lease is no longer active, so you can read this conversation but not write in it."

// ClosedReason says, for the landlord, why no member of c can receive new
// messages on today any more.
func (c Chat) ClosedReason(today string) string {
	const after = " New messages would reach no one, so this conversation is read-only."
	if c.IsGroup() {
		return "No tenant of " + c.Title() + " is on an active lease any more." + after
	}
	return NotActiveReason(c.TenantName, c.leasesFor(c.TenantID), today) + after
}

// ReadOnly says whether p may no longer write in c on today, and why: for a
// tenant, once their lease is no longer Active; for the landlord, once it
// is no member's.
func (c Chat) ReadOnly(p Principal, today string) (bool, string) {
	if p.Kind == KindTenant {
		if !c.TenantActive(p.ID, today) {
			return true, TenantReadOnlyReason
		}
		return false, ""
	}
	if len(c.ActiveMembers(today)) == 0 {
		return true, c.ClosedReason(today)
	}
	return false, ""
}

// MayOpen refuses p a conversation of their organisation: a landlord
// sub-user (main_user_only), a tenant who is not one of its members.
func (c Chat) MayOpen(p Principal) error {
	if err := p.MayChat(); err != nil {
		return err
	}
	if p.Kind == KindTenant && !c.HasMember(p.ID) {
		return ErrNotAMember
	}
	return nil
}

// ErrNotAMember refuses a tenant a conversation they are not part of.
var ErrNotAMember = Errorf(ENOTAMEMBER, "You are not part of this conversation.")

// MaySend refuses p a new message in c on today, saying why: a chat
// read-only for them (see ReadOnly).
func (c Chat) MaySend(p Principal, today string) error {
	if ro, reason := c.ReadOnly(p, today); ro {
		return Errorf(ETENANTNOTACTIVE, "%s", reason)
	}
	return nil
}

// VisibleUntil is the instant after which p may not see what was written in
// c (zero: no limit), by the landlord's date today in loc. A tenant whose
// lease is no longer Active keeps what was written until the end of the
// last day of their lease that ended, and sees nothing newer; one whose
// only lease is still to come sees nothing yet.
func (c Chat) VisibleUntil(p Principal, today string, loc *time.Location) (time.Time, error) {
	if p.Kind != KindTenant || c.TenantActive(p.ID, today) {
		return time.Time{}, nil
	}
	lastEnd := ""
	for _, l := range c.leasesFor(p.ID) {
		if StatusOn(l.Start, l.End, today) == LeaseExpired && l.End > lastEnd {
			lastEnd = l.End
		}
	}
	if lastEnd == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	end, err := time.ParseInLocation(DateLayout, lastEnd, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("lease end %q: %w", lastEnd, err)
	}
	return end.AddDate(0, 0, 1), nil
}

// Visible reports whether what was written at t is visible under cutoff, a
// VisibleUntil answer.
func Visible(t, cutoff time.Time) bool { return cutoff.IsZero() || t.Before(cutoff) }

// View is c as viewer sees it on today. readSeq is how far the viewer has
// read and unread how many messages from others follow; orgName is the
// landlord's organisation, the title of a one-to-one chat for its tenant.
// The last message is the store's to add: it depends on VisibleUntil.
func (c Chat) View(viewer Principal, orgName, today string, readSeq, unread int64) Conversation {
	v := Conversation{ID: c.ID, Kind: ConversationDirect, Title: c.Title(), TenantID: c.TenantID, UnitID: c.UnitID,
		Members: c.Members, CreatedAt: c.CreatedAt, LastSeq: c.LastSeq, ReadSeq: readSeq, Unread: unread}
	if v.Members == nil {
		v.Members = []TenantRef{}
	}
	if c.IsGroup() {
		v.Kind = ConversationGroup
	} else {
		v.Place = PlaceOn(c.leasesFor(c.TenantID), today)
	}
	if viewer.Kind == KindTenant {
		v.Title = orgName
		if c.IsGroup() {
			v.Title = c.Title()
		}
	}
	v.ReadOnly, v.ReadOnlyReason = c.ReadOnly(viewer, today)
	v.Reads = c.Reads(viewer)
	return v
}

// Reads are the members' read positions as viewer may see them. The
// landlord sees every member's, for read receipts under their messages
// (members whose lease ended included: they are still in the chat, and
// what they did not read is honestly unseen). A tenant sees no one's: in a
// unit's group, neighbours are not told who read what.
func (c Chat) Reads(viewer Principal) []ReadPosition {
	if viewer.Kind == KindTenant {
		return nil
	}
	out := make([]ReadPosition, 0, len(c.Members))
	for _, m := range c.Members {
		out = append(out, ReadPosition{ConversationID: c.ID, Reader: Sender{Kind: KindTenant, ID: m.ID, Name: m.Name}, Seq: c.MemberReadSeq[m.ID]})
	}
	return out
}

// ReadAudience is whom a move of reader's read position in c is told to:
// the landlord always (it is their receipt, or their own position on their
// other devices), and of the tenants only the reader (their other tabs).
// No tenant learns another's read position, nor the landlord's.
func (c Chat) ReadAudience(reader Principal) (tenants []int64) {
	if reader.Kind == KindTenant && c.HasMember(reader.ID) {
		return []int64{reader.ID}
	}
	return nil
}

// MayMarkUnread refuses Mark as unread to anyone but the landlord. A
// tenant's read position only ever moves forward, so a receipt the landlord
// was shown ("Seen") is never taken back.
func (p Principal) MayMarkUnread() error {
	if p.Kind != KindUser {
		return Errorf(EFORBIDDEN, "Only the landlord can mark a conversation as unread.")
	}
	return p.MayChat()
}

// UnreadSeq is where Mark as unread moves a read position at current: to
// just before lastFromOthers, the seq of the newest message someone else
// wrote, so that one message shows unread. moved is false when it is
// already unread. With nothing from anyone else there is nothing to mark.
func UnreadSeq(current, lastFromOthers int64) (next int64, moved bool, err error) {
	if lastFromOthers == 0 {
		return current, false, Errorf(EINVALID, "There is no message from a tenant here to mark as unread.")
	}
	if current < lastFromOthers {
		return current, false, nil
	}
	return lastFromOthers - 1, true, nil
}

// NextReadSeq is where a read position at current moves when its reader
// says they read up to asked, in a conversation whose last message is last:
// forward only, never past the last message. moved is false when it stays.
func NextReadSeq(current, asked, last int64) (next int64, moved bool) {
	next = min(asked, last)
	return next, next > current
}

// ValidateReadSeq refuses a read position that cannot be one.
func ValidateReadSeq(seq int64) error {
	if seq < 0 {
		return Errorf(EINVALID, "seq must not be negative.")
	}
	return nil
}

// Activity is when c last changed as its list shows it: its last message
// visible to the viewer, else when it was started.
func (c Conversation) Activity() time.Time {
	if c.LastMessage != nil {
		return c.LastMessage.CreatedAt
	}
	return c.CreatedAt
}

// SortByActivity orders a conversation list as people read it: most recent
// activity first, ties kept in their order.
func SortByActivity(list []Conversation) {
	slices.SortStableFunc(list, func(a, b Conversation) int { return b.Activity().Compare(a.Activity()) })
}
