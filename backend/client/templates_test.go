package client_test

import (
	"context"
	"strings"
	"testing"

	"doorstep/backend"
)

// TestTemplates goes through the real HTTP API: the defaults, a template
// saved on one device reaching another as an event, the refusals, and the
// size limits of the body and of a template.
func TestTemplates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)

	list := must[[]backend.Template](t)(w.landlord.Templates(ctx))
	if len(list) != len(backend.DefaultTemplates()) {
		t.Fatalf("a new organisation's templates: %+v", list)
	}

	t.Run("SavedOnOneDeviceArrivesOnAnother", func(t *testing.T) {
		other := w.signIn("landlord@a.test") // a second device
		stream, err := other.Events(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		saved := must[backend.Template](t)(w.landlord.CreateTemplate(ctx, backend.TemplateDraft{Name: "Keys", Text: "Keys for {{unit}} are at the office."}))
		for {
			ev, err := stream.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type == backend.EventTemplates {
				if len(ev.Templates) != len(list)+1 || !strings.Contains(ev.Templates[0].Text, "Keys for {{unit}}") || ev.Templates[0].ID != saved.ID {
					t.Errorf("event = %+v", ev)
				}
				break
			}
		}
		updated := must[backend.Template](t)(other.UpdateTemplate(ctx, saved.ID, backend.TemplateDraft{Name: "Keys", Text: "Keys for {{unit}}: ask {{landlord.name}}."}))
		if updated.Text != "Keys for {{unit}}: ask {{landlord.name}}." {
			t.Errorf("updated = %+v", updated)
		}
		if err := w.landlord.DeleteTemplate(ctx, saved.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.landlord.DeleteTemplate(ctx, saved.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("deleted twice: %v", err)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		for _, c := range []struct {
			name string
			err  error
			code string
		}{
			{"Tenant", func() error { _, err := w.asTenant("Erin").Templates(ctx); return err }(), backend.EFORBIDDEN},
			{"TenantCreates", func() error {
				_, err := w.asTenant("Erin").CreateTemplate(ctx, backend.TemplateDraft{Name: "x", Text: "y"})
				return err
			}(), backend.EFORBIDDEN},
			{"SubUser", func() error { _, err := w.subUser.Templates(ctx); return err }(), backend.EMAINUSERONLY},
			{"Mistake", func() error {
				_, err := w.landlord.CreateTemplate(ctx, backend.TemplateDraft{Name: "Typo", Text: "{{tenant.frist_name}}"})
				return err
			}(), backend.EINVALID},
			{"OverTheTemplateLimit", func() error {
				_, err := w.landlord.CreateTemplate(ctx, backend.TemplateDraft{Name: "Long", Text: strings.Repeat("a", 20<<10)})
				return err
			}(), backend.ETOOLARGE},
			{"100KBOverTheBodyLimit", func() error {
				_, err := w.landlord.CreateTemplate(ctx, backend.TemplateDraft{Name: "Huge", Text: strings.Repeat("a", 100<<10)})
				return err
			}(), backend.ETOOLARGE},
		} {
			if backend.ErrorCode(c.err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, c.err, c.code)
			}
		}
		if after := must[[]backend.Template](t)(w.landlord.Templates(ctx)); len(after) != len(list) {
			t.Errorf("refused changes changed the list: %+v", after)
		}
	})
}
