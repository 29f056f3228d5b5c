package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// withTemplatesSynced signs the demo landlord in on a device of its own (its own
// data directory) and waits until the first sync is over: the templates
// and the directory kept.
func withTemplatesSynced(t *testing.T, server string) *AccountService {
	t.Helper()
	a := newAccounts(t, server, t.TempDir(), &memKeys{m: map[string]string{}})
	if _, err := a.SignIn(server, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the first sync", func() bool {
		st, _ := a.State()
		list, _ := NewTemplateService(a).List()
		return st.Sync.State == "online" && len(list) > 0
	})
	return a
}

// conversationTitled finds a synced conversation by its title.
func conversationTitled(t *testing.T, a *AccountService, title string) backend.Conversation {
	t.Helper()
	var found backend.Conversation
	wait.For(t, "the conversation "+title, func() bool {
		convs, _ := NewConversationService(a).Conversations()
		for _, c := range convs {
			if c.Title == title {
				found = c
			}
		}
		return found.ID != 0
	})
	return found
}

// templateNamed finds a kept template by its name.
func templateNamed(t *testing.T, templates *TemplateService, name string) backend.Template {
	t.Helper()
	list, err := templates.List()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(tpl backend.Template) bool { return tpl.Name == name })
	if i < 0 {
		t.Fatalf("no template %q in %+v", name, list)
	}
	return list[i]
}

// TestTemplateService goes through the real server: the defaults arrive
// with the first sync; a template fills a one-to-one chat with the
// tenant's first name, unit and rent in the organisation's currency and
// sends nothing; a group chat refuses a field that differs between its
// members and one with no value, and fills the unit's; filling works
// offline after a sync, while saving says it needs the server.
func TestTemplateService(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	a := withTemplatesSynced(t, s.URL)
	templates := NewTemplateService(a)
	conversations := NewConversationService(a)
	if got := len(need[[]backend.Template](t)(templates.List())); got != len(backend.DefaultTemplates()) {
		t.Errorf("%d templates after the first sync, want the %d defaults", got, len(backend.DefaultTemplates()))
	}

	james := conversationTitled(t, a, "James Okafor") // Maple Court 1B, $1,180 a month
	group := conversationTitled(t, a, "Maple Court · 2B")
	note, err := templates.Save(0, backend.TemplateDraft{Name: "Rent note", Text: "Hi {{tenant.first_name}}, rent for {{property}} {{unit}} is {{rent}}. <b>{{landlord.name}}</b>"})
	if err != nil {
		t.Fatal(err)
	}
	renewal := templateNamed(t, templates, "Lease renewal")
	visit := templateNamed(t, templates, "Maintenance visit")
	ends, err := templates.Save(0, backend.TemplateDraft{Name: "Ends", Text: "Your lease ends on {{lease.end}}."})
	if err != nil {
		t.Fatal(err)
	}
	before := need[Thread](t)(conversations.Thread(james.ID, 0))

	fills := func(t *testing.T, templates *TemplateService) {
		t.Run("OneToOne", func(t *testing.T) {
			got, err := templates.Fill(james.ID, note.ID)
			if want := "Hi James, rent for Maple Court 1B is $1,180.00. <b>Pat Morgan</b>"; err != nil || got != want {
				t.Errorf("filled %q, %v\nwant %q", got, err, want)
			}
		})
		t.Run("GroupSharesTheUnit", func(t *testing.T) {
			got, err := templates.Fill(group.ID, visit.ID)
			if err != nil || !strings.Contains(got, "planned at Maple Court, unit 2B (114 Maple Street, Springfield)") || strings.Contains(got, "{{") {
				t.Errorf("filled %q, %v", got, err)
			}
		})
		t.Run("ErrGroupFirstName", func(t *testing.T) {
			_, err := templates.Fill(group.ID, renewal.ID)
			want := "{{tenant.first_name}} differs between the members of this group chat (Daniel Park, Emily Chen and Sofia Rossi), so it cannot be filled in here: remove it, or write to each of them in a one-to-one chat."
			if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
		})
		t.Run("ErrOpenEndedLease", func(t *testing.T) {
			_, err := templates.Fill(group.ID, ends.ID)
			want := "The lease of Maple Court · 2B is open-ended (month to month), so {{lease.end}} has no value: remove it, or write the date in yourself."
			if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
		})
		t.Run("ErrNoSuchTemplate", func(t *testing.T) {
			if _, err := templates.Fill(james.ID, 999_999); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("Online", func(t *testing.T) { fills(t, templates) })

	// Filling put nothing in the outbox and sent nothing.
	after := need[Thread](t)(conversations.Thread(james.ID, 0))
	if len(after.Outbox) != 0 || len(after.Messages) != len(before.Messages) {
		t.Errorf("filling sent something: %d messages (was %d), outbox %+v", len(after.Messages), len(before.Messages), after.Outbox)
	}

	// Another device that has synced but never filled a template (nor
	// opened Tenant Info) fills offline from what the sync kept.
	other := withTemplatesSynced(t, s.URL)
	conversationTitled(t, other, "Maple Court · 2B")
	s.Stop()
	wait.For(t, "offline", func() bool { st, _ := a.State(); return st.Sync.State == "offline" })
	wait.For(t, "the other device offline", func() bool { st, _ := other.State(); return st.Sync.State == "offline" })
	t.Run("Offline", func(t *testing.T) { fills(t, templates) })
	t.Run("OfflineOnADeviceThatOnlySynced", func(t *testing.T) { fills(t, NewTemplateService(other)) })
	t.Run("ErrGroupMemberUnknownOffline", func(t *testing.T) {
		// The other device never had Emily Chen's record: her first name
		// must not be filled with another member's.
		forget(t, other, "Emily Chen")
		templates := NewTemplateService(other)
		for _, tpl := range []backend.Template{renewal, ends} {
			_, err := templates.Fill(group.ID, tpl.ID)
			if backend.ErrorCode(err) != backend.EINVALID || !strings.HasPrefix(backend.ErrorMessage(err), "The record of Emily Chen, a member of this group chat, is not available on this computer, so {{") {
				t.Errorf("%s: err = %v", tpl.Name, err)
			}
		}
		got, err := templates.Fill(group.ID, visit.ID)
		if err != nil || !strings.Contains(got, "planned at Maple Court, unit 2B (114 Maple Street, Springfield)") {
			t.Errorf("the unit's fields: %q, %v", got, err)
		}
	})
	t.Run("ErrSavingOffline", func(t *testing.T) {
		_, err := templates.Save(note.ID, backend.TemplateDraft{Name: "Rent note", Text: "changed"})
		if backend.ErrorCode(err) != backend.EUNREACHABLE || backend.ErrorMessage(err) != backend.TemplatesNeedTheServer {
			t.Errorf("err = %v", err)
		}
		if kept := templateNamed(t, templates, "Rent note"); kept.Text != note.Text {
			t.Errorf("a refused save changed the kept template: %q", kept.Text)
		}
	})
}

// forget removes a tenant from the directory a device keeps, as on a
// device that last connected before they moved in: with no record kept
// either, their record is found nowhere offline.
func forget(t *testing.T, a *AccountService, name string) {
	t.Helper()
	s, err := a.active()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir, ok, err := s.cache.Directory(ctx)
	if err != nil || !ok {
		t.Fatalf("no directory kept: %v", err)
	}
	n := len(dir.Tenants)
	dir.Tenants = slices.DeleteFunc(dir.Tenants, func(dt backend.DirectoryTenant) bool { return dt.Name == name })
	if len(dir.Tenants) != n-1 {
		t.Fatalf("%s is not in the directory", name)
	}
	if err := s.cache.PutDirectory(ctx, dir); err != nil {
		t.Fatal(err)
	}
}

// TestTemplatesReachTheOtherDevice: a template saved, changed and deleted
// on one device is seen on another signed in to the same account, live.
func TestTemplatesReachTheOtherDevice(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	laptop, desktop := NewTemplateService(withTemplatesSynced(t, s.URL)), NewTemplateService(withTemplatesSynced(t, s.URL))
	seen := func(what string, ok func(list []backend.Template) bool) {
		t.Helper()
		wait.For(t, what, func() bool { list, _ := desktop.List(); return ok(list) })
	}
	saved, err := laptop.Save(0, backend.TemplateDraft{Name: "Parking", Text: "Parking at {{property}} is behind the building."})
	if err != nil {
		t.Fatal(err)
	}
	seen("the new template on the other device", func(list []backend.Template) bool {
		return slices.ContainsFunc(list, func(tpl backend.Template) bool { return tpl.ID == saved.ID && tpl.Text == saved.Text })
	})
	if _, err := laptop.Save(saved.ID, backend.TemplateDraft{Name: "Parking", Text: "Park in bay {{unit}}."}); err != nil {
		t.Fatal(err)
	}
	seen("the change on the other device", func(list []backend.Template) bool {
		return slices.ContainsFunc(list, func(tpl backend.Template) bool { return tpl.ID == saved.ID && tpl.Text == "Park in bay {{unit}}." })
	})
	if err := laptop.Delete(saved.ID); err != nil {
		t.Fatal(err)
	}
	seen("the deletion on the other device", func(list []backend.Template) bool {
		return len(list) > 0 && !slices.ContainsFunc(list, func(tpl backend.Template) bool { return tpl.ID == saved.ID })
	})
}

// TestTemplateCheckAndFields: the editor's checks are the domain's, with
// an empty list (not null) for a text with no mistake.
func TestTemplateCheckAndFields(t *testing.T) {
	templates := NewTemplateService(nil)
	if got := templates.Check("Hi {{tenant.first_name}}"); got == nil || len(got) != 0 {
		t.Errorf("no mistakes: %#v", got)
	}
	got := templates.Check("Hi {{tenant.frist_name}}")
	if len(got) != 1 || got[0].Message != "{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?" {
		t.Errorf("a mistake: %+v", got)
	}
	if fields := templates.Fields(); len(fields) != 11 || fields[0].Name != backend.FieldTenantFirstName || fields[0].Description == "" {
		t.Errorf("fields: %+v", fields)
	}
}

// need returns v, failing the test on err.
func need[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
