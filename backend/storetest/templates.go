package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// templateNames lists the names of templates, in their order.
func templateNames(list []backend.Template) []string {
	var out []string
	for _, t := range list {
		out = append(out, t.Name)
	}
	return out
}

// testTemplates: an organisation starts with the default templates, given
// once; templates are created, changed and deleted by the main landlord
// user, each change an event to them with the whole list; names are one
// per organisation; an organisation never sees another's.
func testTemplates(t *testing.T, w *world) {
	defaults := []string{"Lease renewal", "Maintenance visit", "Move-out checklist", "Rent reminder"}

	w.run(t, "DefaultsForANewOrganisation", func(t *testing.T) {
		list := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord))
		if got := templateNames(list); !slices.Equal(got, defaults) {
			t.Fatalf("templates = %q, want the defaults %q", got, defaults)
		}
		for _, tpl := range list {
			if tpl.ID == 0 || tpl.Text == "" || !tpl.UpdatedAt.Equal(w.clock()) {
				t.Errorf("default %+v", tpl)
			}
		}
		again := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord))
		if len(again) != len(list) || again[0].ID != list[0].ID {
			t.Errorf("listed again: %q", templateNames(again))
		}
		if other := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.other)); len(other) != len(defaults) || other[0].ID == list[0].ID {
			t.Errorf("the other organisation's: %+v", other)
		}
	})

	var created backend.Template
	w.run(t, "CreateIsAnEventWithTheList", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		otherSince := must[int64](t)(w.s.LatestEventID(w.ctx, w.other))
		w.advance(time.Second)
		created = must[backend.Template](t)(w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{
			Name: "  Boiler   service ", Text: "<b>Hi</b> {{tenant.first_name}}, the boiler is serviced on [day]."}))
		if created.ID == 0 || created.Name != "Boiler service" || created.Text != "<b>Hi</b> {{tenant.first_name}}, the boiler is serviced on [day]." ||
			!created.UpdatedAt.Equal(w.clock()) {
			t.Errorf("created %+v", created)
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 100))
		if len(evs) != 1 || evs[0].Type != backend.EventTemplates || !slices.Equal(templateNames(evs[0].Templates), append([]string{"Boiler service"}, defaults...)) {
			t.Errorf("events = %+v", evs)
		}
		if evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.other, otherSince, 100)); len(evs) != 0 {
			t.Errorf("the other landlord was told: %+v", evs)
		}
	})

	w.run(t, "Update", func(t *testing.T) {
		w.advance(time.Second)
		updated := must[backend.Template](t)(w.s.UpdateTemplate(w.ctx, w.landlord, created.ID, backend.TemplateDraft{Name: "Boiler visit", Text: "{{unit}}: boiler on [day]."}))
		if updated.ID != created.ID || updated.Name != "Boiler visit" || updated.Text != "{{unit}}: boiler on [day]." || !updated.UpdatedAt.Equal(w.clock()) {
			t.Errorf("updated %+v", updated)
		}
		// Its own name again, in another case, is no clash.
		must[backend.Template](t)(w.s.UpdateTemplate(w.ctx, w.landlord, created.ID, backend.TemplateDraft{Name: "BOILER VISIT", Text: "{{unit}}"}))
	})

	w.run(t, "ErrNameTaken", func(t *testing.T) {
		_, err := w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{Name: "rent REMINDER", Text: "Hi"})
		wantRefusal(t, err, backend.ECONFLICT, "There is already a template named “Rent reminder”: choose another name.")
		_, err = w.s.UpdateTemplate(w.ctx, w.landlord, created.ID, backend.TemplateDraft{Name: "Lease Renewal", Text: "Hi"})
		wantCode(t, err, backend.ECONFLICT)
		// Another organisation may have the same names.
		must[backend.Template](t)(w.s.CreateTemplate(w.ctx, w.other, backend.TemplateDraft{Name: "Boiler visit", Text: "Hi"}))
	})

	w.run(t, "ErrMistakeKeepsTheOld", func(t *testing.T) {
		before := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord))
		_, err := w.s.UpdateTemplate(w.ctx, w.landlord, created.ID, backend.TemplateDraft{Name: "Boiler visit", Text: "Hi {{tenant.frist_name}}"})
		wantRefusal(t, err, backend.EINVALID, "{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?")
		_, err = w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{Name: "Unclosed", Text: "Rent: {{rent"})
		wantCode(t, err, backend.EINVALID)
		if after := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord)); !slices.Equal(after, before) {
			t.Errorf("after refused changes: %+v", after)
		}
	})

	w.run(t, "ErrNotFoundInAnotherOrganisation", func(t *testing.T) {
		others := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.other))
		_, err := w.s.UpdateTemplate(w.ctx, w.landlord, others[0].ID, backend.TemplateDraft{Name: "Mine now", Text: "Hi"})
		wantCode(t, err, backend.ENOTFOUND)
		wantCode(t, w.s.DeleteTemplate(w.ctx, w.landlord, others[0].ID), backend.ENOTFOUND)
		if still := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.other)); !slices.Equal(still, others) {
			t.Errorf("the other organisation's templates changed: %+v", still)
		}
	})

	w.run(t, "ErrNotForTenantsOrSubUsers", func(t *testing.T) {
		alice := w.tenant("Alice")
		_, err := w.s.Templates(w.ctx, alice)
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.s.CreateTemplate(w.ctx, alice, backend.TemplateDraft{Name: "Mine", Text: "Hi"})
		wantCode(t, err, backend.EFORBIDDEN)
		wantCode(t, w.s.DeleteTemplate(w.ctx, alice, created.ID), backend.EFORBIDDEN)
		_, err = w.s.Templates(w.ctx, w.subUser)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.UpdateTemplate(w.ctx, w.subUser, created.ID, backend.TemplateDraft{Name: "Mine", Text: "Hi"})
		wantCode(t, err, backend.EMAINUSERONLY)
	})

	w.run(t, "DeleteThemAllLeavesNone", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		for _, tpl := range must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord)) {
			if err := w.s.DeleteTemplate(w.ctx, w.landlord, tpl.ID); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, w.s.DeleteTemplate(w.ctx, w.landlord, created.ID), backend.ENOTFOUND)
		if list := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord)); len(list) != 0 {
			t.Errorf("after deleting them all: %q (the defaults came back?)", templateNames(list))
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 100))
		if len(evs) != 5 || evs[4].Type != backend.EventTemplates || len(evs[4].Templates) != 0 {
			t.Errorf("events = %+v", evs)
		}
	})

	w.run(t, "ErrTooMany", func(t *testing.T) {
		for i := range backend.MaxTemplates {
			must[backend.Template](t)(w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{Name: fmt.Sprintf("Note %d", i), Text: "Hi"}))
		}
		_, err := w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{Name: "One more", Text: "Hi"})
		wantRefusal(t, err, backend.ECONFLICT, fmt.Sprintf("You can keep at most %d templates: delete one you no longer use first.", backend.MaxTemplates))
	})
}

// testTemplatesBeforeAnyList: a first change made before the list was ever
// asked for still gives the organisation the defaults, once, beside it.
func testTemplatesBeforeAnyList(t *testing.T, w *world) {
	tpl := must[backend.Template](t)(w.s.CreateTemplate(w.ctx, w.landlord, backend.TemplateDraft{Name: "Welcome", Text: "Welcome to {{property}}!"}))
	list := must[[]backend.Template](t)(w.s.Templates(w.ctx, w.landlord))
	if got := templateNames(list); !slices.Equal(got, []string{"Lease renewal", "Maintenance visit", "Move-out checklist", "Rent reminder", "Welcome"}) || list[4].ID != tpl.ID {
		t.Errorf("templates = %q", got)
	}
	if me := must[backend.Me](t)(w.s.Me(w.ctx, w.signIn("landlord@a.test").Token)); me.Locale != backend.DefaultLocale {
		t.Errorf("an organisation's locale = %q, want %q until it is set", me.Locale, backend.DefaultLocale)
	}
}
