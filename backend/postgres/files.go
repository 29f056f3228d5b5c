package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"doorstep/backend"
)

// CanUpload checks whether p may upload files (see backend.MayUpload): the
// main landlord user, or a tenant whose lease lets them take part in at
// least one of their conversations.
func (db *DB) CanUpload(ctx context.Context, p backend.Principal) error {
	if p.Kind != backend.KindTenant {
		return backend.MayUpload(p, nil, "")
	}
	chats, err := tenantChats(ctx, db.r, p)
	if err != nil {
		return err
	}
	today, _, err := orgToday(ctx, db.r, p.OrgID, db.now())
	if err != nil {
		return err
	}
	return backend.MayUpload(p, chats, today)
}

// tenantChats lists tenant p's conversations, each with p's leases (not the
// other members' or their leases).
func tenantChats(ctx context.Context, q queryer, p backend.Principal) ([]backend.Chat, error) {
	rows, err := q.Query(ctx, `SELECT c.id, coalesce(c.unit_id, 0) FROM conversations c
		JOIN conversation_tenants ct ON ct.conversation_id = c.id WHERE c.org_id = $1 AND ct.tenant_id = $2`, p.OrgID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("tenant's conversations: %w", err)
	}
	defer rows.Close()
	var chats []backend.Chat
	for rows.Next() {
		c := backend.Chat{OrgID: p.OrgID, Members: []backend.TenantRef{{ID: p.ID, Name: p.Name}}}
		if err := rows.Scan(&c.ID, &c.UnitID); err != nil {
			return nil, fmt.Errorf("tenant's conversations: %w", err)
		}
		chats = append(chats, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tenant's conversations: %w", err)
	}
	if len(chats) == 0 {
		return nil, nil
	}
	leases, err := orgTenantLeases(ctx, q, p.OrgID, p.ID)
	if err != nil {
		return nil, err
	}
	for i := range chats {
		chats[i].Leases = leases
	}
	return chats, nil
}

// CreateFile records an uploaded file for p's organisation with p as uploader.
func (db *DB) CreateFile(ctx context.Context, p backend.Principal, f backend.NewFile) (backend.File, error) {
	if err := db.CanUpload(ctx, p); err != nil {
		return backend.File{}, err
	}
	var userID, tenantID any
	if p.Kind == backend.KindTenant {
		tenantID = p.ID
	} else {
		userID = p.ID
	}
	out := backend.File{Name: f.Name, Size: f.Size, SHA256: f.SHA256, ContentType: f.ContentType,
		Uploader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}}
	err := db.Update(ctx, func(tx *Tx) error {
		out.CreatedAt = tx.Now()
		return tx.QueryRow(ctx, `INSERT INTO files (org_id, uploader_user_id, uploader_tenant_id, name, size, sha256, content_type, storage_name, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, p.OrgID, userID, tenantID, f.Name, f.Size, f.SHA256, f.ContentType,
			f.StorageName, tx.Now()).Scan(&out.ID)
	})
	return out, err
}

const fileSelect = `
	SELECT f.id, f.name, f.size, f.sha256, f.content_type, f.created_at,
	       CASE WHEN f.uploader_user_id IS NULL THEN 'tenant' ELSE 'user' END, coalesce(f.uploader_user_id, f.uploader_tenant_id),
	       coalesce(u.name, t.name), f.storage_name
	FROM files f LEFT JOIN users u ON u.id = f.uploader_user_id LEFT JOIN tenants t ON t.id = f.uploader_tenant_id`

func scanFile(sc interface{ Scan(...any) error }) (backend.File, string, error) {
	var f backend.File
	var kind, storage string
	err := sc.Scan(&f.ID, &f.Name, &f.Size, &f.SHA256, &f.ContentType, &f.CreatedAt, &kind, &f.Uploader.ID, &f.Uploader.Name, &storage)
	f.Uploader.Kind = backend.PrincipalKind(kind)
	return f, storage, err
}

// FileForDownload returns a file's metadata and storage name if p may fetch
// it (see backend.MayFetchFile): the main landlord user of its
// organisation; the tenant who uploaded it; a tenant member of a
// conversation where it was shared, if that message is visible to them.
// Anything else is not_found, so ids reveal nothing.
func (db *DB) FileForDownload(ctx context.Context, p backend.Principal, fileID int64) (backend.File, string, error) {
	if err := p.MayChat(); err != nil {
		return backend.File{}, "", err
	}
	f, storage, err := scanFile(db.r.QueryRow(ctx, fileSelect+" WHERE f.id = $1 AND f.org_id = $2", fileID, p.OrgID))
	if isNoRows(err) {
		return f, "", backend.ErrNoFile
	}
	if err != nil {
		return f, "", fmt.Errorf("file %d: %w", fileID, err)
	}
	var shares []backend.FileShare
	if p.Kind == backend.KindTenant {
		if shares, err = fileShares(ctx, db.r, p, fileID); err != nil {
			return f, "", err
		}
	}
	today, loc, err := orgToday(ctx, db.r, p.OrgID, db.now())
	if err != nil {
		return f, "", err
	}
	ok, err := backend.MayFetchFile(p, f, shares, today, loc)
	if err != nil {
		return f, "", err
	}
	if !ok {
		return backend.File{}, "", backend.ErrNoFile
	}
	return f, storage, nil
}

// fileShares lists the messages that carried a file in tenant p's
// conversations, each with its conversation.
func fileShares(ctx context.Context, q queryer, p backend.Principal, fileID int64) ([]backend.FileShare, error) {
	rows, err := q.Query(ctx, `SELECT m.conversation_id, m.created_at FROM message_files mf JOIN messages m ON m.id = mf.message_id
		JOIN conversation_tenants ct ON ct.conversation_id = m.conversation_id AND ct.tenant_id = $1
		WHERE mf.file_id = $2`, p.ID, fileID)
	if err != nil {
		return nil, fmt.Errorf("file shares: %w", err)
	}
	type share struct {
		conv int64
		at   time.Time
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (share, error) {
		var s share
		return s, r.Scan(&s.conv, &s.at)
	})
	if err != nil {
		return nil, fmt.Errorf("file shares: %w", err)
	}
	shares := make([]backend.FileShare, 0, len(found))
	for _, s := range found {
		c, err := loadChat(ctx, q, p.OrgID, s.conv)
		if err != nil {
			return nil, err
		}
		shares = append(shares, backend.FileShare{Chat: c.Chat, At: s.at})
	}
	return shares, nil
}

// ConversationFiles lists every file shared in a conversation that p may
// see, newest first (View Files).
func (db *DB) ConversationFiles(ctx context.Context, p backend.Principal, convID int64) ([]backend.SharedFile, error) {
	c, err := openChat(ctx, db.r, p, convID)
	if err != nil {
		return nil, err
	}
	cutoff, err := db.visibleUntil(ctx, db.r, p, c)
	if err != nil {
		return nil, err
	}
	msgs, err := messagesWhere(ctx, db.r, convID, cutoff, "AND EXISTS (SELECT 1 FROM message_files WHERE message_id = m.id) ORDER BY m.seq DESC", nil)
	if err != nil {
		return nil, err
	}
	out := []backend.SharedFile{}
	for _, m := range msgs {
		for _, f := range m.Files {
			out = append(out, backend.SharedFile{File: f, MessageID: m.ID, Seq: m.Seq, SharedBy: m.Sender, SharedAt: m.CreatedAt})
		}
	}
	return out, nil
}
