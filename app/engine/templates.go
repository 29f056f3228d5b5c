package engine

import (
	"context"

	"doorstep/backend"
)

// EventTemplates tells the UI the organisation's message templates changed
// (here, on another device, or found so on connecting); payload
// []backend.Template, the whole list.
const EventTemplates = "templates:changed"

// SetTemplates keeps the organisation's whole list of templates, as the
// server sent it (an event, or the list fetched on connecting), and tells
// the UI.
func (e *Engine) SetTemplates(ctx context.Context, list []backend.Template) error {
	if list == nil {
		list = []backend.Template{}
	}
	if err := e.cache.PutTemplates(ctx, list); err != nil {
		return err
	}
	e.emit(EventTemplates, list)
	return nil
}

// fetchForTemplates keeps, on each connect, what filling a template needs
// offline: the templates themselves (changes made while away arrived as
// events already; this also fills a new cache) and the directory, whose
// tenants carry their leases. Without the server's answer the kept copies
// stay.
func (e *Engine) fetchForTemplates(ctx context.Context) {
	list, err := e.client.Templates(ctx)
	if err == nil {
		err = e.SetTemplates(ctx, list)
	}
	if err != nil {
		e.logger.Warn("templates not fetched", "err", err)
	}
	dir, err := e.client.Directory(ctx, "")
	if err == nil {
		err = e.cache.PutDirectory(ctx, dir)
	}
	if err != nil {
		e.logger.Warn("directory not fetched", "err", err)
	}
}
