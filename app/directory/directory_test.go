package directory

import (
	"slices"
	"testing"

	"doorstep/backend"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	d := backend.Directory{
		Tenants: []backend.DirectoryTenant{
			{ID: 1, Name: "Maria Garcia", Email: "maria@example.com", Phone: "+1 555 0101",
				Leases: []backend.Lease{{PropertyName: "Maple Court", UnitName: "Unit 2B"}}},
			{ID: 2, Name: "Olivia Brown", Email: "olivia@example.com",
				Leases: []backend.Lease{{PropertyName: "Oak House", UnitName: "Unit 1"}, {PropertyName: "Maple Court", UnitName: "Unit 4"}}},
			{ID: 3, Name: "Ünal Çelik", Email: "unal@example.com"},
		},
		Units: []backend.DirectoryUnit{
			{ID: 10, Name: "Unit 2B", PropertyName: "Maple Court", Address: "12 Maple Street"},
			{ID: 11, Name: "Unit 1", PropertyName: "Oak House", Address: "3 Oak Lane"},
		},
	}
	for _, c := range []struct {
		name           string
		query          string
		tenants, units []int64
	}{
		{"EmptyKeepsEverything", "  ", []int64{1, 2, 3}, []int64{10, 11}},
		{"ByName", "maria", []int64{1}, []int64{}},
		{"AnyCase", "OLIVIA", []int64{2}, []int64{}},
		{"ByEmail", "unal@", []int64{3}, []int64{}},
		{"ByPhone", "0101", []int64{1}, []int64{}},
		{"ByPropertyOfAnyLease", "maple", []int64{1, 2}, []int64{10}},
		{"ByAddress", "oak lane", []int64{}, []int64{11}},
		{"EveryWordMustMatch", "maple 2b", []int64{1}, []int64{10}},
		{"WordsInAnyOrder", "2b maple", []int64{1}, []int64{10}},
		{"NonASCII", "çelik", []int64{3}, []int64{}},
		{"NoMatch", "nobody", []int64{}, []int64{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := Filter(d, c.query)
			var tenants, units []int64
			for _, x := range got.Tenants {
				tenants = append(tenants, x.ID)
			}
			for _, x := range got.Units {
				units = append(units, x.ID)
			}
			if !slices.Equal(tenants, c.tenants) && !(len(tenants) == 0 && len(c.tenants) == 0) {
				t.Errorf("tenants = %v, want %v", tenants, c.tenants)
			}
			if !slices.Equal(units, c.units) && !(len(units) == 0 && len(c.units) == 0) {
				t.Errorf("units = %v, want %v", units, c.units)
			}
		})
	}
	t.Run("NoMatchIsEmptyListsNotNull", func(t *testing.T) {
		t.Parallel()
		// The UI iterates over both lists: JSON null would break it.
		if got := Filter(d, "nobody"); got.Tenants == nil || got.Units == nil {
			t.Errorf("Filter = %+v, want empty lists", got)
		}
	})
}
