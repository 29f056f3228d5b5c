package cache_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
)

// TestTemplatesKeptForOffline: the list the server sent replaces what was
// kept, one saved or deleted here changes it at once, and all of it is read
// back, by name, after the cache is closed and opened again.
func TestTemplatesKeptForOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.Templates(ctx); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("before any: %#v, %v", list, err)
	}
	at := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	rent := backend.Template{ID: 1, Name: "rent reminder", Text: "Hi {{tenant.first_name}}", UpdatedAt: at}
	visit := backend.Template{ID: 2, Name: "Maintenance visit", Text: "<b>{{unit}}</b>", UpdatedAt: at}
	old := backend.Template{ID: 3, Name: "Old", Text: "gone after the next list", UpdatedAt: at}
	if err := c.PutTemplates(ctx, []backend.Template{old}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutTemplates(ctx, []backend.Template{rent, visit}); err != nil {
		t.Fatal(err)
	}
	keys := backend.Template{ID: 4, Name: "Keys", Text: "{{address}}", UpdatedAt: at.Add(time.Hour)}
	if err := c.PutTemplate(ctx, keys); err != nil {
		t.Fatal(err)
	}
	visit.Text = "{{unit}} on [day]"
	if err := errors.Join(c.PutTemplate(ctx, visit), c.DeleteTemplate(ctx, rent.ID), c.Close()); err != nil {
		t.Fatal(err)
	}

	c, err = cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.Templates(ctx)
	if err != nil || !slices.EqualFunc(list, []backend.Template{keys, visit}, func(a, b backend.Template) bool {
		return a.ID == b.ID && a.Name == b.Name && a.Text == b.Text && a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Errorf("kept: %+v, %v", list, err)
	}
	if got, ok, err := c.Template(ctx, keys.ID); err != nil || !ok || got.Text != keys.Text {
		t.Errorf("one: %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := c.Template(ctx, rent.ID); err != nil || ok {
		t.Errorf("a deleted one: %v, %v", ok, err)
	}
}
