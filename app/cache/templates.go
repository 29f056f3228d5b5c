package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"doorstep/backend"
)

// PutTemplates replaces the kept templates with the organisation's whole
// list, as the server sent it.
func (c *Cache) PutTemplates(ctx context.Context, list []backend.Template) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM templates"); err != nil {
			return fmt.Errorf("cache templates: %w", err)
		}
		for _, t := range list {
			if err := putTemplate(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutTemplate keeps one template the server has just stored.
func (c *Cache) PutTemplate(ctx context.Context, t backend.Template) error {
	return putTemplate(ctx, c.db, t)
}

func putTemplate(ctx context.Context, q execer, t backend.Template) error {
	_, err := q.ExecContext(ctx, `INSERT INTO templates (id, name, text, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, text = excluded.text, updated_at = excluded.updated_at`,
		t.ID, t.Name, t.Text, formatTime(t.UpdatedAt))
	if err != nil {
		return fmt.Errorf("cache template: %w", err)
	}
	return nil
}

// DeleteTemplate forgets a template the server has deleted.
func (c *Cache) DeleteTemplate(ctx context.Context, id int64) error {
	if _, err := c.db.ExecContext(ctx, "DELETE FROM templates WHERE id = ?", id); err != nil {
		return fmt.Errorf("cache delete template: %w", err)
	}
	return nil
}

// Templates are the kept templates, by name (empty before the first sync).
func (c *Cache) Templates(ctx context.Context) ([]backend.Template, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id, name, text, updated_at FROM templates ORDER BY name COLLATE NOCASE, id")
	if err != nil {
		return nil, fmt.Errorf("cache templates: %w", err)
	}
	defer rows.Close()
	list := []backend.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// Template is one kept template (ok false when it is not kept).
func (c *Cache) Template(ctx context.Context, id int64) (t backend.Template, ok bool, err error) {
	t, err = scanTemplate(c.db.QueryRowContext(ctx, "SELECT id, name, text, updated_at FROM templates WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	return t, err == nil, err
}

func scanTemplate(row interface{ Scan(...any) error }) (backend.Template, error) {
	var t backend.Template
	var updated string
	if err := row.Scan(&t.ID, &t.Name, &t.Text, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, err
		}
		return t, fmt.Errorf("cache template: %w", err)
	}
	t.UpdatedAt, _ = time.Parse(timeLayout, updated)
	return t, nil
}
