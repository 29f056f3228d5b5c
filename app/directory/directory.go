// Package directory is the New Chat "To" field's type-ahead over the
// landlord's tenants and units: a filter over a directory the app fetched
// from the server or kept for offline use.
package directory

import (
	"strings"

	"doorstep/backend"
)

// Filter keeps the tenants and units matching every word of query (any
// case) in their names, unit, property, address, e-mail or phone. An empty
// query keeps everything.
func Filter(d backend.Directory, query string) backend.Directory {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return d
	}
	out := backend.Directory{Tenants: []backend.DirectoryTenant{}, Units: []backend.DirectoryUnit{}}
	for _, t := range d.Tenants {
		if matchesAll(tenantText(t), words) {
			out.Tenants = append(out.Tenants, t)
		}
	}
	for _, u := range d.Units {
		if matchesAll(strings.ToLower(u.PropertyName+" "+u.Name+" "+u.Address), words) {
			out.Units = append(out.Units, u)
		}
	}
	return out
}

// tenantText is what a tenant is found by, in lower case: name, e-mail,
// phone, and the property and unit of each lease.
func tenantText(t backend.DirectoryTenant) string {
	var b strings.Builder
	b.WriteString(t.Name + " " + t.Email + " " + t.Phone)
	for _, l := range t.Leases {
		b.WriteString(" " + l.PropertyName + " " + l.UnitName)
	}
	return strings.ToLower(b.String())
}

// matchesAll reports whether hay holds every word.
func matchesAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
