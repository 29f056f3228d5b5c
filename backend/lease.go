package backend

import (
	"cmp"
	"fmt"
	"slices"
)

// The lease rules: a chat is only with tenants on an Active lease (start ≤
// today ≤ end, or no end), today being the date in the landlord's time
// zone. Stores fetch leases; these functions decide, and say why not.

// ActiveOn reports whether l is Active on today (YYYY-MM-DD).
func (l Lease) ActiveOn(today string) bool { return StatusOn(l.Start, l.End, today) == LeaseActive }

// Has reports whether tenantID is on l.
func (l Lease) Has(tenantID int64) bool {
	return slices.ContainsFunc(l.Tenants, func(t TenantRef) bool { return t.ID == tenantID })
}

// LeasesOn sets each lease's Status for today and returns leases.
func LeasesOn(leases []Lease, today string) []Lease {
	for i := range leases {
		leases[i].Status = StatusOn(leases[i].Start, leases[i].End, today)
	}
	return leases
}

// HasActiveLease reports whether any of leases is Active on today.
func HasActiveLease(leases []Lease, today string) bool {
	return slices.ContainsFunc(leases, func(l Lease) bool { return l.ActiveOn(today) })
}

// NotActiveReason says why a tenant named name, with these leases (newest
// first), cannot chat on today: a lease yet to start, else the lease that
// ended last, else that there is none.
func NotActiveReason(name string, leases []Lease, today string) string {
	for _, l := range leases {
		if StatusOn(l.Start, l.End, today) == LeaseFuture {
			return fmt.Sprintf("%s's lease starts on %s; chat opens when it is active.", name, l.Start)
		}
	}
	for _, l := range leases {
		if StatusOn(l.Start, l.End, today) == LeaseExpired {
			return fmt.Sprintf("%s's lease ended on %s.", name, l.End)
		}
	}
	return fmt.Sprintf("%s has no lease.", name)
}

// TenantAvailability says whether a chat with the tenant named name, with
// these leases (newest first), can start on today, and if not, why.
func TenantAvailability(name string, leases []Lease, today string) (canChat bool, reason string) {
	if HasActiveLease(leases, today) {
		return true, ""
	}
	return false, NotActiveReason(name, leases, today)
}

// MayChatWithTenant refuses a chat with a tenant who is not on an Active
// lease on today, saying why.
func MayChatWithTenant(name string, leases []Lease, today string) error {
	if ok, reason := TenantAvailability(name, leases, today); !ok {
		return Errorf(ETENANTNOTACTIVE, "%s", reason)
	}
	return nil
}

// ActiveTenants lists, once each and by name, the tenants on a lease among
// leases (a unit's) that is Active on today: who a unit's group chat is with.
// The list is empty, never nil, when there is none.
func ActiveTenants(leases []Lease, today string) []TenantRef {
	out := []TenantRef{}
	for _, l := range leases {
		if !l.ActiveOn(today) {
			continue
		}
		for _, t := range l.Tenants {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, func(a, b TenantRef) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out
}

// UnitTitle names a unit as people read it: "Property · Unit".
func UnitTitle(property, unit string) string { return property + " · " + unit }

// UnitAvailability says whether a group chat with a unit whose tenants on
// an Active lease are active can start, and if not, why.
func UnitAvailability(property, unit string, active []TenantRef) (canChat bool, reason string) {
	if len(active) > 0 {
		return true, ""
	}
	return false, fmt.Sprintf("No tenant of %s %s is on an active lease.", property, unit)
}

// MayChatWithUnit refuses a group chat with a unit none of whose tenants is
// on an Active lease, saying so.
func MayChatWithUnit(property, unit string, active []TenantRef) error {
	if ok, reason := UnitAvailability(property, unit, active); !ok {
		return Errorf(ETENANTNOTACTIVE, "%s", reason)
	}
	return nil
}

// PlaceOn is where a tenant with these leases lives on today: the
// "Property · Unit" of their newest lease Active then, or "".
func PlaceOn(leases []Lease, today string) string {
	var newest *Lease
	for i, l := range leases {
		if l.ActiveOn(today) && (newest == nil || l.Start > newest.Start) {
			newest = &leases[i]
		}
	}
	if newest == nil {
		return ""
	}
	return UnitTitle(newest.PropertyName, newest.UnitName)
}

// MoveIn is when a tenant with these leases moved in: the start of the
// earliest, or "" with none.
func MoveIn(leases []Lease) string {
	first := ""
	for _, l := range leases {
		if first == "" || l.Start < first {
			first = l.Start
		}
	}
	return first
}
