package sqlite

import (
	"context"
	"fmt"

	"doorstep/backend"
)

// Templates lists p's organisation's templates, by name; the first time,
// the organisation is given the default ones.
func (db *DB) Templates(ctx context.Context, p backend.Principal) ([]backend.Template, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return nil, err
	}
	var given bool
	if err := db.db.QueryRowContext(ctx, "SELECT templates_given FROM orgs WHERE id = ?", p.OrgID).Scan(&given); err != nil {
		return nil, fmt.Errorf("templates given: %w", err)
	}
	if !given {
		// A read that writes once in an organisation's life: the defaults
		// are real rows, with ids to edit and delete them by.
		var list []backend.Template
		err := db.Update(ctx, func(tx *Tx) (err error) {
			if err = giveDefaultTemplates(ctx, tx, p.OrgID); err == nil {
				list, err = templates(ctx, tx, p.OrgID)
			}
			return err
		})
		return list, err
	}
	return templates(ctx, db.db, p.OrgID)
}

func templates(ctx context.Context, q queryer, orgID int64) ([]backend.Template, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, text, updated_at FROM templates WHERE org_id = ? ORDER BY name COLLATE NOCASE, id", orgID)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	defer rows.Close()
	list := []backend.Template{}
	for rows.Next() {
		var t backend.Template
		var updated string
		if err := rows.Scan(&t.ID, &t.Name, &t.Text, &updated); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		t.UpdatedAt = parseTime(updated)
		list = append(list, t)
	}
	return list, rows.Err()
}

// giveDefaultTemplates adds the default templates to an organisation that
// was never given them.
func giveDefaultTemplates(ctx context.Context, tx *Tx, orgID int64) error {
	res, err := tx.ExecContext(ctx, "UPDATE orgs SET templates_given = 1 WHERE id = ? AND templates_given = 0", orgID)
	if err != nil {
		return fmt.Errorf("give default templates: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, d := range backend.DefaultTemplates() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO templates (org_id, name, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, orgID, d.Name, d.Text, formatTime(tx.Now()), formatTime(tx.Now())); err != nil {
			return fmt.Errorf("give default templates: %w", err)
		}
	}
	return nil
}

// CreateTemplate adds a template to p's organisation.
func (db *DB) CreateTemplate(ctx context.Context, p backend.Principal, d backend.TemplateDraft) (backend.Template, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.Template{}, err
	}
	d, err := d.Validate()
	if err != nil {
		return backend.Template{}, err
	}
	return db.changeTemplates(ctx, p, func(tx *Tx, list []backend.Template) (int64, error) {
		if len(list) >= backend.MaxTemplates {
			return 0, backend.ErrTooManyTemplates
		}
		if err := nameFree(list, d.Name, 0); err != nil {
			return 0, err
		}
		var id int64
		err := tx.QueryRowContext(ctx, "INSERT INTO templates (org_id, name, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			p.OrgID, d.Name, d.Text, formatTime(tx.Now()), formatTime(tx.Now())).Scan(&id)
		return id, err
	})
}

// UpdateTemplate replaces the name and text of one of p's organisation's
// templates.
func (db *DB) UpdateTemplate(ctx context.Context, p backend.Principal, id int64, d backend.TemplateDraft) (backend.Template, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.Template{}, err
	}
	d, err := d.Validate()
	if err != nil {
		return backend.Template{}, err
	}
	return db.changeTemplates(ctx, p, func(tx *Tx, list []backend.Template) (int64, error) {
		if err := nameFree(list, d.Name, id); err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, "UPDATE templates SET name = ?, text = ?, updated_at = ? WHERE id = ? AND org_id = ?",
			d.Name, d.Text, formatTime(tx.Now()), id, p.OrgID)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, backend.ErrNoTemplate
		}
		return id, nil
	})
}

// DeleteTemplate removes one of p's organisation's templates.
func (db *DB) DeleteTemplate(ctx context.Context, p backend.Principal, id int64) error {
	if err := p.CanChatAsLandlord(); err != nil {
		return err
	}
	_, err := db.changeTemplates(ctx, p, func(tx *Tx, _ []backend.Template) (int64, error) {
		res, err := tx.ExecContext(ctx, "DELETE FROM templates WHERE id = ? AND org_id = ?", id, p.OrgID)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, backend.ErrNoTemplate
		}
		return 0, nil
	})
	return err
}

// nameFree refuses a name another template of the list (not id) has.
func nameFree(list []backend.Template, name string, id int64) error {
	for _, t := range list {
		if t.ID != id && backend.SameTemplateName(t.Name, name) {
			return backend.ErrTemplateNameTaken(t.Name)
		}
	}
	return nil
}

// changeTemplates makes a change to p's organisation's templates (given
// the list before it; it returns the id of the template it wrote, 0 for
// none) and tells p's devices, with the list as it is after it. It returns
// that template.
func (db *DB) changeTemplates(ctx context.Context, p backend.Principal, change func(tx *Tx, list []backend.Template) (int64, error)) (backend.Template, error) {
	var changed backend.Template
	err := db.Update(ctx, func(tx *Tx) error {
		if err := giveDefaultTemplates(ctx, tx, p.OrgID); err != nil {
			return err
		}
		list, err := templates(ctx, tx, p.OrgID)
		if err != nil {
			return err
		}
		id, err := change(tx, list)
		if err != nil {
			return err
		}
		if list, err = templates(ctx, tx, p.OrgID); err != nil {
			return err
		}
		for _, t := range list {
			if t.ID == id {
				changed = t
			}
		}
		return db.writeEvents(ctx, tx, []backend.Delivery{{To: p.Recipient(), Event: backend.Event{Type: backend.EventTemplates, Templates: list}}})
	})
	if isUniqueViolation(err) { // the index's backstop to nameFree
		return backend.Template{}, backend.Errorf(backend.ECONFLICT, "There is already a template of that name: choose another name.")
	}
	return changed, err
}
