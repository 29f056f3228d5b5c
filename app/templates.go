package app

import (
	"context"
	"time"

	"doorstep/app/engine"
	"doorstep/backend"
)

// TemplateService is the landlord's message templates: the compose box's
// picker fills one with a conversation's values (from the cache, offline
// too) for the landlord to read, edit and send; the editor lists, checks,
// saves and deletes them (saving needs the server, which keeps them for
// every device). Bound to the UI as window.go.app.TemplateService.
type TemplateService struct {
	accounts *AccountService
}

// NewTemplateService returns the templates of the signed-in account.
func NewTemplateService(accounts *AccountService) *TemplateService {
	return &TemplateService{accounts: accounts}
}

// List is the organisation's templates as last received, by name.
func (t *TemplateService) List() ([]backend.Template, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) ([]backend.Template, error) {
		return s.cache.Templates(ctx)
	})
}

// Fields are the merge fields a template may use, for the editor's list.
func (t *TemplateService) Fields() []backend.TemplateField {
	return backend.TemplateFields
}

// Check lists the mistakes in a template's text as the landlord types it
// (none: it can be saved).
func (t *TemplateService) Check(text string) []backend.TemplateProblem {
	if problems := backend.CheckTemplate(text); problems != nil {
		return problems
	}
	return []backend.TemplateProblem{}
}

// Save stores a template on the server, a new one with id 0, and keeps it
// here at once (the server's event follows to every device).
func (t *TemplateService) Save(id int64, d backend.TemplateDraft) (backend.Template, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) (backend.Template, error) {
		var saved backend.Template
		var err error
		if id == 0 {
			saved, err = s.client.CreateTemplate(ctx, d)
		} else {
			saved, err = s.client.UpdateTemplate(ctx, id, d)
		}
		if err != nil {
			return backend.Template{}, needsTheServer(err)
		}
		return saved, s.cache.PutTemplate(ctx, saved)
	})
}

// Delete removes a template on the server, and here at once.
func (t *TemplateService) Delete(id int64) error {
	return inSession(t.accounts, func(ctx context.Context, s *session) error {
		if err := s.client.DeleteTemplate(ctx, id); err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			return needsTheServer(err)
		}
		return s.cache.DeleteTemplate(ctx, id)
	})
}

// needsTheServer says that editing templates needs the server when it
// cannot be reached; other refusals are the server's own.
func needsTheServer(err error) error {
	if unreachable(err) {
		return backend.Errorf(backend.ErrorCode(err), "%s", backend.TemplatesNeedTheServer)
	}
	return err
}

// Fill returns a template's text with the values of a conversation, for
// the compose box (it sends nothing), or the refusal that names the field
// that cannot be filled (see backend.FillTemplate). It works offline, from
// the records and directory kept here.
func (t *TemplateService) Fill(convID, templateID int64) (string, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) (string, error) {
		tpl, ok, err := s.cache.Template(ctx, templateID)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", backend.ErrNoTemplate
		}
		conv, ok, err := s.cache.Conversation(ctx, convID)
		if err != nil || !ok {
			return "", backend.Errorf(backend.ENOTFOUND, "This conversation is not here.")
		}
		ids := []int64{conv.TenantID}
		if conv.Kind == backend.ConversationGroup {
			ids = ids[:0]
			for _, m := range conv.Members {
				ids = append(ids, m.ID)
			}
		}
		online := s.engine.State().State == engine.StateOnline
		scene := backend.TemplateSceneFor(conv, s.recordsAtHand(ctx, ids, online), s.me, time.Now())
		return backend.FillTemplate(tpl.Text, scene)
	})
}

// recordsAtHand are the records of the tenants ids, for a template or an
// export: from the server when online (kept for later), else from the
// directory kept at the last connect, else from the records kept. A tenant
// found nowhere is left out: a group chat's member so left out makes
// their fields refuse (backend.TemplateSceneFor), and an export says
// their record was not on this computer.
func (s *session) recordsAtHand(ctx context.Context, ids []int64, online bool) []backend.TenantRecord {
	dir, haveDir, _ := s.cache.Directory(ctx)
	var out []backend.TenantRecord
next:
	for _, id := range ids {
		if online {
			if r, err := s.client.TenantRecord(ctx, id); err == nil {
				s.cache.PutTenantRecord(ctx, r)
				out = append(out, r)
				continue
			}
		}
		if haveDir {
			for _, dt := range dir.Tenants {
				if dt.ID == id {
					out = append(out, backend.TenantRecord{ID: dt.ID, Name: dt.Name, Email: dt.Email, Phone: dt.Phone, Leases: dt.Leases})
					continue next
				}
			}
		}
		if r, ok, err := s.cache.TenantRecord(ctx, id); err == nil && ok {
			out = append(out, r)
		}
	}
	return out
}
