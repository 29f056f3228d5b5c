package client

import (
	"context"
	"fmt"
	"net/http"

	"doorstep/backend"
)

// Templates lists the organisation's message templates, by name.
func (c *Client) Templates(ctx context.Context) ([]backend.Template, error) {
	var list []backend.Template
	err := c.do(ctx, http.MethodGet, "/api/v1/templates", &list)
	return list, err
}

// CreateTemplate adds a message template and returns it as stored.
func (c *Client) CreateTemplate(ctx context.Context, d backend.TemplateDraft) (backend.Template, error) {
	var t backend.Template
	err := c.doJSON(ctx, http.MethodPost, "/api/v1/templates", d, &t)
	return t, err
}

// UpdateTemplate replaces a message template's name and text and returns
// it as stored.
func (c *Client) UpdateTemplate(ctx context.Context, id int64, d backend.TemplateDraft) (backend.Template, error) {
	var t backend.Template
	err := c.doJSON(ctx, http.MethodPut, fmt.Sprintf("/api/v1/templates/%d", id), d, &t)
	return t, err
}

// DeleteTemplate removes a message template.
func (c *Client) DeleteTemplate(ctx context.Context, id int64) error {
	return c.doJSON(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/templates/%d", id), nil, nil)
}
