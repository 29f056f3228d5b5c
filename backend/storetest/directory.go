package storetest

import (
	"fmt"
	"testing"
	"time"

	"doorstep/backend"
)

// testDirectory: the New Chat "To" field lists the landlord's tenants and
// units with whether a chat can start today, and why not, in sentences.
func testDirectory(t *testing.T, w *world) {
	w.run(t, "WhoCanChatAndWhyNot", func(t *testing.T) {
		dir := must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, ""))
		got := map[string]string{}
		for _, te := range dir.Tenants {
			got[te.Name] = fmt.Sprint(te.CanChat, " ", te.Reason)
		}
		want := map[string]string{
			"Alice": "true ", "Bob": "true ", "Erin": "true ", "Hank": "true ",
			"Carol": "false Carol's lease ended on 2026-03-31.",
			"Dan":   "false Dan's lease starts on 2026-09-01; chat opens when it is active.",
			"Gina":  "true ",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tenants = %v\nwant %v (org B's Zed must not appear)", got, want)
		}
		units := map[string]string{}
		for _, u := range dir.Units {
			names := []string{}
			for _, m := range u.ActiveTenants {
				names = append(names, m.Name)
			}
			units[u.PropertyName+" "+u.Name] = fmt.Sprint(u.CanChat, names, " ", u.Reason)
		}
		wantUnits := map[string]string{
			"Elm Court 1A": "true [Alice Bob] ",
			"Elm Court 1B": "false [] No tenant of Elm Court 1B is on an active lease.",
			"Elm Court 2A": "false [] No tenant of Elm Court 2A is on an active lease.",
			"Elm Court 2B": "true [Erin] ",
			"Birch Row 3A": "true [Gina Hank] ",
		}
		if fmt.Sprint(units) != fmt.Sprint(wantUnits) {
			t.Errorf("units = %v\nwant %v", units, wantUnits)
		}
	})

	w.run(t, "LeasesWithTheirStatusNewestFirst", func(t *testing.T) {
		dir := must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, "carol"))
		if len(dir.Tenants) != 1 || len(dir.Tenants[0].Leases) != 1 {
			t.Fatalf("search for Carol: %+v", dir.Tenants)
		}
		l := dir.Tenants[0].Leases[0]
		if l.Status != backend.LeaseExpired || l.UnitName != "1B" || l.PropertyName != "Elm Court" || l.End != "2026-03-31" ||
			len(l.Tenants) != 1 || l.Tenants[0].Name != "Carol" {
			t.Errorf("Carol's lease = %+v", l)
		}
	})

	w.run(t, "StatusFollowsTheLandlordsDate", func(t *testing.T) {
		// 2026-09-01 04:00 UTC is still 2026-08-31 in Chicago: Dan's lease
		// is not Active yet there.
		w.setDate("2026-09-01")
		w.advance(-8 * time.Hour)
		dan := must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, "dan")).Tenants
		if len(dan) != 1 || dan[0].CanChat || dan[0].Leases[0].Status != backend.LeaseFuture {
			t.Errorf("Dan before his start date in Chicago: %+v", dan)
		}
		w.advance(2 * time.Hour) // 06:00 UTC, 01:00 in Chicago
		dan = must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, "dan")).Tenants
		if len(dan) != 1 || !dan[0].CanChat || dan[0].Leases[0].Status != backend.LeaseActive {
			t.Errorf("Dan on his start date in Chicago: %+v", dan)
		}
		w.setDate("2026-06-15")
	})

	w.run(t, "Search", func(t *testing.T) {
		for _, c := range []struct {
			query   string
			tenants string
			units   string
		}{
			{"elm court 1a", "[]", "[1A]"},
			{"BIRCH", "[Gina Hank]", "[3A]"}, // a property's name finds its tenants too
			{"erin@", "[Erin]", "[]"},
			{"%", "[]", "[]"}, // LIKE wildcards are text
			{"_", "[]", "[]"},
			{"linden", "[]", "[]"}, // another landlord's
		} {
			dir := must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, c.query))
			var tenants, units []string
			for _, te := range dir.Tenants {
				tenants = append(tenants, te.Name)
			}
			for _, u := range dir.Units {
				units = append(units, u.Name)
			}
			if fmt.Sprint(tenants) != c.tenants || fmt.Sprint(units) != c.units {
				t.Errorf("%q found tenants %v, units %v; want %s, %s", c.query, tenants, units, c.tenants, c.units)
			}
		}
	})

	w.run(t, "ErrOnlyForTheMainLandlordUser", func(t *testing.T) {
		_, err := w.s.Directory(w.ctx, w.subUser, "")
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.Directory(w.ctx, w.tenant("Alice"), "")
		wantCode(t, err, backend.EFORBIDDEN)
	})
}

// testTenantRecord: everything the landlord knows about a tenant, and
// nothing about another landlord's.
func testTenantRecord(t *testing.T, w *world) {
	if _, _, err := w.s.AddLease(w.ctx, w.orgA, Lease{Property: "Elm Court", Unit: "1B", Start: "2023-02-01", End: "2024-12-31",
		Tenants: []Tenant{{Name: "Alice", Email: "alice@tenant.test", Phone: "555-0100"}}}); err != nil {
		t.Fatal(err)
	}
	r := must[backend.TenantRecord](t)(w.s.TenantRecord(w.ctx, w.landlord, w.tenants["Alice"]))
	if r.Name != "Alice" || r.Email != "alice@tenant.test" || r.Phone != "555-0100" || r.MoveIn != "2023-02-01" || len(r.Leases) != 2 {
		t.Fatalf("record = %+v", r)
	}
	if r.Leases[0].Start != "2025-01-01" || r.Leases[0].Status != backend.LeaseActive || len(r.Leases[0].Tenants) != 2 ||
		r.Leases[1].Status != backend.LeaseExpired {
		t.Errorf("leases (newest first) = %+v", r.Leases)
	}
	_, err := w.s.TenantRecord(w.ctx, w.other, w.tenants["Alice"])
	wantRefusal(t, err, backend.ENOTFOUND, "There is no such tenant.")
	_, err = w.s.TenantRecord(w.ctx, w.subUser, w.tenants["Alice"])
	wantCode(t, err, backend.EMAINUSERONLY)
}
