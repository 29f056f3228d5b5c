package app

import (
	"context"

	"doorstep/app/directory"
	"doorstep/backend"
)

// TenantService is who the landlord chats with: the New Chat "To" field's
// type-ahead, Tenant Info and the Tenant Record, and Group Details. Each
// answer comes from the server when it can be reached, else from the copy
// kept last time. Bound to the UI as window.go.app.TenantService.
type TenantService struct {
	accounts *AccountService
}

// NewTenantService returns the tenants of the signed-in account.
func NewTenantService(accounts *AccountService) *TenantService {
	return &TenantService{accounts: accounts}
}

// Directory searches tenants and units for the New Chat "To" field (see
// directory.Filter).
func (t *TenantService) Directory(query string) (backend.Directory, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) (backend.Directory, error) {
		full, err := s.directory(ctx)
		if err != nil {
			return backend.Directory{}, err
		}
		return directory.Filter(full, query), nil
	})
}

// directory is the whole directory from the server (kept for offline use);
// when the server does not give it, for whatever reason, the copy kept
// last time, or the server's error if there is none.
func (s *session) directory(ctx context.Context) (backend.Directory, error) {
	full, err := s.client.Directory(ctx, "")
	if err == nil {
		s.cache.PutDirectory(ctx, full)
		return full, nil
	}
	if kept, ok, _ := s.cache.Directory(ctx); ok {
		return kept, nil
	}
	return backend.Directory{}, err
}

// TenantRecord returns everything known about a tenant (Tenant Info and the
// Tenant Record).
func (t *TenantService) TenantRecord(tenantID int64) (backend.TenantRecord, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) (backend.TenantRecord, error) {
		return s.tenantRecord(ctx, tenantID)
	})
}

// GroupDetails returns the Tenant Record of every member of a conversation.
func (t *TenantService) GroupDetails(convID int64) ([]backend.TenantRecord, error) {
	return withSession(t.accounts, func(ctx context.Context, s *session) ([]backend.TenantRecord, error) {
		conv, ok, err := s.cache.Conversation(ctx, convID)
		if err != nil || !ok {
			return nil, backend.Errorf(backend.ENOTFOUND, "There is no such conversation.")
		}
		out := []backend.TenantRecord{}
		for _, m := range conv.Members {
			r, err := s.tenantRecord(ctx, m.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	})
}

// tenantRecord is a tenant's record from the server, else the copy kept.
func (s *session) tenantRecord(ctx context.Context, tenantID int64) (backend.TenantRecord, error) {
	return fromServerOrKept(
		func() (backend.TenantRecord, error) { return s.client.TenantRecord(ctx, tenantID) },
		func(r backend.TenantRecord) { s.cache.PutTenantRecord(ctx, r) },
		func() (backend.TenantRecord, bool, error) { return s.cache.TenantRecord(ctx, tenantID) })
}
