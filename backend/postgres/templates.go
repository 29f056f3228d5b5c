package postgres

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
	if err := db.r.QueryRow(ctx, "SELECT templates_given FROM orgs WHERE id = $1", p.OrgID).Scan(&given); err != nil {
		return nil, fmt.Errorf("templates given: %w", err)
	}
	if !given {
		// A read that writes once in an organisation's life: the defaults
		// are real rows, with ids to edit and delete them by.
		var list []backend.Template
		err := db.Update(ctx, func(tx *Tx) (err error) {
			if err = lockTemplates(ctx, tx, p.OrgID); err == nil {
				list, err = templates(ctx, tx, p.OrgID)
			}
			return err
		})
		return list, err
	}
	return templates(ctx, db.r, p.OrgID)
}

func templates(ctx context.Context, q queryer, orgID int64) ([]backend.Template, error) {
	rows, err := q.Query(ctx, "SELECT id, name, text, updated_at FROM templates WHERE org_id = $1 ORDER BY lower(name), id", orgID)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	defer rows.Close()
	list := []backend.Template{}
	for rows.Next() {
		var t backend.Template
		if err := rows.Scan(&t.ID, &t.Name, &t.Text, &t.UpdatedAt); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// lockTemplates takes the organisation's row lock for the rest of tx, so
// changes to its templates take turns (each judges the list as the one
// before left it, and its event carries that change too), and gives it the
// default templates if it never had them.
func lockTemplates(ctx context.Context, tx *Tx, orgID int64) error {
	var given bool
	if err := tx.QueryRow(ctx, "SELECT templates_given FROM orgs WHERE id = $1 FOR NO KEY UPDATE", orgID).Scan(&given); err != nil {
		return fmt.Errorf("lock templates: %w", err)
	}
	if given {
		return nil
	}
	if _, err := tx.Exec(ctx, "UPDATE orgs SET templates_given = true WHERE id = $1", orgID); err != nil {
		return fmt.Errorf("give default templates: %w", err)
	}
	for _, d := range backend.DefaultTemplates() {
		if _, err := tx.Exec(ctx, `INSERT INTO templates (org_id, name, text, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT DO NOTHING`, orgID, d.Name, d.Text, tx.Now()); err != nil {
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
	return db.changeTemplates(ctx, p, d.Name, func(tx *Tx, list []backend.Template) (int64, error) {
		if len(list) >= backend.MaxTemplates {
			return 0, backend.ErrTooManyTemplates
		}
		if err := nameFree(list, d.Name, 0); err != nil {
			return 0, err
		}
		var id int64
		err := tx.QueryRow(ctx, "INSERT INTO templates (org_id, name, text, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
			p.OrgID, d.Name, d.Text, tx.Now()).Scan(&id)
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
	return db.changeTemplates(ctx, p, d.Name, func(tx *Tx, list []backend.Template) (int64, error) {
		if err := nameFree(list, d.Name, id); err != nil {
			return 0, err
		}
		tag, err := tx.Exec(ctx, "UPDATE templates SET name = $1, text = $2, updated_at = $3 WHERE id = $4 AND org_id = $5",
			d.Name, d.Text, tx.Now(), id, p.OrgID)
		if err != nil {
			return 0, err
		}
		if tag.RowsAffected() == 0 {
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
	_, err := db.changeTemplates(ctx, p, "", func(tx *Tx, _ []backend.Template) (int64, error) {
		tag, err := tx.Exec(ctx, "DELETE FROM templates WHERE id = $1 AND org_id = $2", id, p.OrgID)
		if err != nil {
			return 0, err
		}
		if tag.RowsAffected() == 0 {
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
// none) under the organisation's lock, and tells p's devices, with the
// list as it is after it. It returns that template. name is the name the
// change writes, for the unique index's refusal.
func (db *DB) changeTemplates(ctx context.Context, p backend.Principal, name string, change func(tx *Tx, list []backend.Template) (int64, error)) (backend.Template, error) {
	var changed backend.Template
	err := db.Update(ctx, func(tx *Tx) error {
		changed = backend.Template{}
		if err := lockTemplates(ctx, tx, p.OrgID); err != nil {
			return err
		}
		list, err := templates(ctx, tx, p.OrgID)
		if err != nil {
			return err
		}
		id, err := change(tx, list)
		if sqlState(err) == uniqueViolation && constraint(err) == "templates_org_name" {
			// The index's backstop to nameFree (which the lock makes see
			// every other change).
			return backend.ErrTemplateNameTaken(name)
		}
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
		tx.emit(backend.Delivery{To: p.Recipient(), Event: backend.Event{Type: backend.EventTemplates, Templates: list}})
		return nil
	})
	return changed, err
}
