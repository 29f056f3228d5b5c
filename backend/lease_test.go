package backend_test

import (
	"fmt"
	"testing"

	"doorstep/backend"
)

// unitIDs numbers the units of the tests' leases.
var unitIDs = map[string]int64{"1A": 1, "1B": 2, "1C": 3, "2A": 4, "2B": 5, "3C": 6}

// lease makes a lease of a unit of Elm Court with tenants.
func lease(unit, start, end string, tenants ...backend.TenantRef) backend.Lease {
	return backend.Lease{UnitID: unitIDs[unit], UnitName: unit, PropertyName: "Elm Court", Start: start, End: end, Tenants: tenants}
}

var (
	alice = backend.TenantRef{ID: 1, Name: "Alice"}
	bob   = backend.TenantRef{ID: 2, Name: "Bob"}
	carol = backend.TenantRef{ID: 3, Name: "Carol"}
)

func TestStatusOn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		start, end, today string
		want              backend.LeaseStatus
	}{
		{"2026-01-01", "2026-12-31", "2026-06-15", backend.LeaseActive},
		{"2026-01-01", "2026-12-31", "2026-01-01", backend.LeaseActive}, // first day
		{"2026-01-01", "2026-12-31", "2026-12-31", backend.LeaseActive}, // last day
		{"2026-01-01", "2026-12-31", "2027-01-01", backend.LeaseExpired},
		{"2026-01-01", "2026-12-31", "2025-12-31", backend.LeaseFuture},
		{"2026-01-01", "", "2099-01-01", backend.LeaseActive}, // open-ended
		{"2026-01-01", "", "2025-06-01", backend.LeaseFuture},
	} {
		if got := backend.StatusOn(c.start, c.end, c.today); got != c.want {
			t.Errorf("StatusOn(%s, %s, %s) = %s, want %s", c.start, c.end, c.today, got, c.want)
		}
		if got := (backend.Lease{Start: c.start, End: c.end}).ActiveOn(c.today); got != (c.want == backend.LeaseActive) {
			t.Errorf("ActiveOn(%s) of %s–%s = %v", c.today, c.start, c.end, got)
		}
	}
}

func TestLeasesOn(t *testing.T) {
	t.Parallel()
	leases := backend.LeasesOn([]backend.Lease{lease("2B", "2027-01-01", ""), lease("1A", "2026-01-01", "2026-12-31"),
		lease("1B", "2025-01-01", "2025-12-31")}, "2026-06-15")
	if got := fmt.Sprint([]backend.LeaseStatus{leases[0].Status, leases[1].Status, leases[2].Status}); got != "[future active expired]" {
		t.Errorf("statuses = %s", got)
	}
}

func TestTenantAvailability(t *testing.T) {
	t.Parallel()
	const today = "2026-06-15"
	for _, c := range []struct {
		name   string
		leases []backend.Lease // newest first
		can    bool
		reason string
	}{
		{"Active", []backend.Lease{lease("1A", "2026-01-01", "")}, true, ""},
		{"ActiveBesideAnExpiredOne", []backend.Lease{lease("1A", "2026-01-01", ""), lease("1B", "2025-01-01", "2025-12-31")}, true, ""},
		{"ActiveBesideAFutureOne", []backend.Lease{lease("2A", "2026-09-01", ""), lease("1A", "2026-01-01", "2026-08-31")}, true, ""},
		{"Future", []backend.Lease{lease("2A", "2026-09-01", "")}, false,
			"Carol's lease starts on 2026-09-01; chat opens when it is active."},
		{"Expired", []backend.Lease{lease("1B", "2025-04-01", "2026-03-31")}, false, "Carol's lease ended on 2026-03-31."},
		{"TheNewestExpiredOneIsNamed", []backend.Lease{lease("1B", "2025-04-01", "2026-03-31"), lease("1C", "2024-01-01", "2024-12-31")}, false,
			"Carol's lease ended on 2026-03-31."},
		{"AFutureOneIsNamedBeforeAnExpiredOne", []backend.Lease{lease("2A", "2026-09-01", ""), lease("1B", "2025-04-01", "2026-03-31")}, false,
			"Carol's lease starts on 2026-09-01; chat opens when it is active."},
		{"NoLease", nil, false, "Carol has no lease."},
	} {
		t.Run(c.name, func(t *testing.T) {
			can, reason := backend.TenantAvailability("Carol", c.leases, today)
			if can != c.can || reason != c.reason {
				t.Errorf("= %v %q, want %v %q", can, reason, c.can, c.reason)
			}
			err := backend.MayChatWithTenant("Carol", c.leases, today)
			if c.can && err != nil || !c.can && (backend.ErrorCode(err) != backend.ETENANTNOTACTIVE || backend.ErrorMessage(err) != c.reason) {
				t.Errorf("MayChatWithTenant = %v", err)
			}
		})
	}
}

func TestActiveTenantsOfAUnit(t *testing.T) {
	t.Parallel()
	const today = "2026-06-15"
	for _, c := range []struct {
		name   string
		leases []backend.Lease
		want   string
		reason string
	}{
		{"ByNameOnceEach", []backend.Lease{lease("1A", "2026-01-01", "", bob, alice), lease("1A", "2026-03-01", "", alice)}, "[{1 Alice} {2 Bob}]", ""},
		{"OnlyActiveLeases", []backend.Lease{lease("1A", "2026-09-01", "", carol), lease("1A", "2025-01-01", "2025-12-31", bob),
			lease("1A", "2026-01-01", "2026-12-31", alice)}, "[{1 Alice}]", ""},
		{"NoneActive", []backend.Lease{lease("1A", "2025-01-01", "2025-12-31", bob)}, "[]", "No tenant of Elm Court 1A is on an active lease."},
		{"NoLease", nil, "[]", "No tenant of Elm Court 1A is on an active lease."},
	} {
		t.Run(c.name, func(t *testing.T) {
			active := backend.ActiveTenants(c.leases, today)
			if active == nil || fmt.Sprint(active) != c.want {
				t.Errorf("active = %#v, want %s", active, c.want)
			}
			can, reason := backend.UnitAvailability("Elm Court", "1A", active)
			if can != (c.reason == "") || reason != c.reason {
				t.Errorf("availability = %v %q, want %q", can, reason, c.reason)
			}
			if err := backend.MayChatWithUnit("Elm Court", "1A", active); (err == nil) != (c.reason == "") ||
				err != nil && backend.ErrorCode(err) != backend.ETENANTNOTACTIVE {
				t.Errorf("MayChatWithUnit = %v", err)
			}
		})
	}
}

func TestPlaceOn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		leases []backend.Lease
		want   string
	}{
		{"TheActiveLease", []backend.Lease{lease("2A", "2026-09-01", ""), lease("1A", "2026-01-01", "")}, "Elm Court · 1A"},
		{"TheNewestOfTwoActive", []backend.Lease{lease("1A", "2025-01-01", ""), lease("3C", "2026-02-01", "")}, "Elm Court · 3C"},
		{"NoneActive", []backend.Lease{lease("1B", "2025-01-01", "2025-12-31")}, ""},
		{"NoLease", nil, ""},
	} {
		if got := backend.PlaceOn(c.leases, "2026-06-15"); got != c.want {
			t.Errorf("%s: place = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestMoveIn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		leases []backend.Lease
		want   string
	}{
		{[]backend.Lease{lease("1A", "2026-01-01", ""), lease("1B", "2023-02-01", "2024-12-31")}, "2023-02-01"},
		{[]backend.Lease{lease("1A", "2026-01-01", "")}, "2026-01-01"},
		{nil, ""},
	} {
		if got := backend.MoveIn(c.leases); got != c.want {
			t.Errorf("MoveIn(%v) = %q, want %q", c.leases, got, c.want)
		}
	}
}
