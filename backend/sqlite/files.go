package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"doorstep/backend"
)

var errNoFile = backend.Errorf(backend.ENOTFOUND, "There is no such file.")

// CanUpload checks whether p may upload files: the main landlord user, or a
// tenant on an Active lease who is in at least one conversation.
func (db *DB) CanUpload(ctx context.Context, p backend.Principal) error {
	if p.Kind == backend.KindUser {
		return p.CanChatAsLandlord()
	}
	rows, err := db.db.QueryContext(ctx, convSelectBare+` WHERE c.org_id = ? AND c.id IN
		(SELECT conversation_id FROM conversation_tenants WHERE tenant_id = ?)`, p.OrgID, p.ID)
	if err != nil {
		return fmt.Errorf("upload check: %w", err)
	}
	var convs []convRow
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			rows.Close()
			return err
		}
		convs = append(convs, c)
	}
	rows.Close()
	today, _, err := orgToday(ctx, db.db, p.OrgID, db.now())
	if err != nil {
		return err
	}
	for _, c := range convs {
		if ok, err := tenantActiveFor(ctx, db.db, c, p.ID, today); err != nil || ok {
			return err
		}
	}
	return backend.Errorf(backend.ETENANTNOTACTIVE, "Your lease is no longer active, so you cannot share files.")
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
		out.CreatedAt = parseTime(formatTime(tx.Now()))
		return tx.QueryRowContext(ctx, `INSERT INTO files (org_id, uploader_user_id, uploader_tenant_id, name, size, sha256, content_type, storage_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.OrgID, userID, tenantID, f.Name, f.Size, f.SHA256, f.ContentType,
			f.StorageName, formatTime(tx.Now())).Scan(&out.ID)
	})
	return out, err
}

const fileSelect = `
	SELECT f.id, f.name, f.size, f.sha256, f.content_type, f.created_at,
	       iif(f.uploader_user_id IS NULL, 'tenant', 'user'), coalesce(f.uploader_user_id, f.uploader_tenant_id), coalesce(u.name, t.name),
	       f.storage_name
	FROM files f LEFT JOIN users u ON u.id = f.uploader_user_id LEFT JOIN tenants t ON t.id = f.uploader_tenant_id`

func scanFile(sc interface{ Scan(...any) error }) (backend.File, string, error) {
	var f backend.File
	var created, kind, storage string
	err := sc.Scan(&f.ID, &f.Name, &f.Size, &f.SHA256, &f.ContentType, &created, &kind, &f.Uploader.ID, &f.Uploader.Name, &storage)
	f.CreatedAt = parseTime(created)
	f.Uploader.Kind = backend.PrincipalKind(kind)
	return f, storage, err
}

// FileForDownload returns a file's metadata and storage name if p may fetch
// it: the main landlord user of its organisation; the tenant who uploaded it;
// a tenant member of a conversation where it was shared, if that message is
// visible to them. Anything else is not_found, so ids reveal nothing.
func (db *DB) FileForDownload(ctx context.Context, p backend.Principal, fileID int64) (backend.File, string, error) {
	if p.Kind == backend.KindUser {
		if err := p.CanChatAsLandlord(); err != nil {
			return backend.File{}, "", err
		}
	}
	f, storage, err := scanFile(db.db.QueryRowContext(ctx, fileSelect+" WHERE f.id = ? AND f.org_id = ?", fileID, p.OrgID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, "", errNoFile
	}
	if err != nil {
		return f, "", fmt.Errorf("file %d: %w", fileID, err)
	}
	if p.Kind == backend.KindUser || (f.Uploader.Kind == backend.KindTenant && f.Uploader.ID == p.ID) {
		return f, storage, nil
	}
	rows, err := db.db.QueryContext(ctx, `SELECT m.conversation_id, m.created_at FROM message_files mf JOIN messages m ON m.id = mf.message_id
		JOIN conversation_tenants ct ON ct.conversation_id = m.conversation_id AND ct.tenant_id = ?
		WHERE mf.file_id = ?`, p.ID, fileID)
	if err != nil {
		return f, "", fmt.Errorf("file access: %w", err)
	}
	type share struct {
		conv    int64
		created time.Time
	}
	var shares []share
	for rows.Next() {
		var s share
		var created string
		if err := rows.Scan(&s.conv, &created); err != nil {
			rows.Close()
			return f, "", err
		}
		s.created = parseTime(created)
		shares = append(shares, s)
	}
	rows.Close()
	for _, s := range shares {
		c, err := loadConv(ctx, db.db, p.OrgID, s.conv, true)
		if err != nil {
			return f, "", err
		}
		cutoff, err := db.visibleUntil(ctx, db.db, p, c)
		if err != nil {
			return f, "", err
		}
		if cutoff.IsZero() || s.created.Before(cutoff) {
			return f, storage, nil
		}
	}
	return backend.File{}, "", errNoFile
}

// ConversationFiles lists every file shared in a conversation that p may
// see, newest first (View Files).
func (db *DB) ConversationFiles(ctx context.Context, p backend.Principal, convID int64) ([]backend.SharedFile, error) {
	c, err := db.checkAccess(ctx, db.db, p, convID, true)
	if err != nil {
		return nil, err
	}
	cutoff, err := db.visibleUntil(ctx, db.db, p, c)
	if err != nil {
		return nil, err
	}
	msgs, err := db.messagesWhere(ctx, db.db, convID, cutoff, "AND EXISTS (SELECT 1 FROM message_files WHERE message_id = m.id) ORDER BY m.seq DESC")
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
