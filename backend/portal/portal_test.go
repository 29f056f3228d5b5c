package portal_test

import (
	"bytes"
	"io/fs"
	"regexp"
	"testing"

	"doorstep/backend/portal"
)

func TestServiceWorkerCarriesTheBuild(t *testing.T) {
	build := portal.Build()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(build) {
		t.Fatalf("build %q is not 16 hex digits", build)
	}
	sw := portal.ServiceWorker()
	if n := bytes.Count(sw, []byte("'"+build+"'")); n != 1 {
		t.Errorf("the worker names the build %d times, want once", n)
	}
	if bytes.Contains(sw, []byte("__PORTAL_BUILD__")) {
		t.Error("the worker still has the build's placeholder")
	}
	if portal.Build() != build {
		t.Error("the build changed between calls")
	}
}

func TestIconsAreEmbedded(t *testing.T) {
	for _, name := range []string{"icon-192.png", "icon-512.png", "icon-maskable-192.png", "icon-maskable-512.png"} {
		body, err := fs.ReadFile(portal.Assets, "assets/icons/"+name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", name)
		}
	}
}
