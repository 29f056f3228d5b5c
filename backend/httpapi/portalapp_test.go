package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"doorstep/backend/portal"
)

// fetchPortal GETs a path of the test server: the response and its body.
func fetchPortal(t *testing.T, base, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestPortalServiceWorker(t *testing.T) {
	ts, _ := newTestServer(t)
	resp, body := fetchPortal(t, ts.URL, "/portal/sw.js")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("/portal/sw.js: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Asked for again on every visit, so a new build replaces the old shell.
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: %v", resp.Header)
	}
	if !bytes.Equal(body, portal.ServiceWorker()) || !bytes.Contains(body, []byte("'"+portal.Build()+"'")) {
		t.Errorf("the worker does not carry the build %s", portal.Build())
	}
	// What it imports is served beside the page's modules.
	if !bytes.Contains(body, []byte("from './assets/offline.js'")) {
		t.Fatal("the worker no longer imports ./assets/offline.js")
	}
	if resp, _ := fetchPortal(t, ts.URL, "/portal/assets/offline.js"); resp.StatusCode != 200 {
		t.Errorf("/portal/assets/offline.js: %d", resp.StatusCode)
	}
	head, err := http.Head(ts.URL + "/portal/sw.js")
	if err != nil || head.StatusCode != 200 || head.ContentLength != int64(len(body)) {
		t.Errorf("HEAD /portal/sw.js: %v %v", head, err)
	}
	post, err := http.Post(ts.URL+"/portal/sw.js", "text/plain", nil)
	if err != nil || post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /portal/sw.js: %v %v", post, err)
	}
}

func TestPortalManifestAndIcons(t *testing.T) {
	ts, _ := newTestServer(t)
	home, page := fetchPortal(t, ts.URL, "/portal/")
	if !bytes.Contains(page, []byte(`<link rel="manifest" href="/portal/assets/manifest.webmanifest">`)) {
		t.Fatal("the page does not link the manifest")
	}
	// The page's policy must let it read its own manifest (default-src is 'none').
	if csp := home.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "manifest-src 'self'") {
		t.Errorf("the page's policy blocks the manifest: %s", csp)
	}

	resp, body := fetchPortal(t, ts.URL, "/portal/assets/manifest.webmanifest")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m struct {
		Name      string `json:"name"`
		ShortName string `json:"short_name"`
		StartURL  string `json:"start_url"`
		Scope     string `json:"scope"`
		Display   string `json:"display"`
		Icons     []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Name == "" || m.ShortName == "" || m.StartURL != "/portal/" || m.Scope != "/portal/" || m.Display != "standalone" {
		t.Errorf("manifest: %+v", m)
	}
	purposes := map[string]bool{}
	for _, icon := range m.Icons {
		resp, body := fetchPortal(t, ts.URL, icon.Src)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != icon.Type {
			t.Errorf("%s: %d %q, the manifest says %q", icon.Src, resp.StatusCode, resp.Header.Get("Content-Type"), icon.Type)
			continue
		}
		purposes[icon.Purpose+" "+icon.Sizes] = true
		if icon.Type != "image/png" {
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil || fmt.Sprintf("%dx%d", cfg.Width, cfg.Height) != icon.Sizes {
			t.Errorf("%s: %dx%d (%v), the manifest says %s", icon.Src, cfg.Width, cfg.Height, err, icon.Sizes)
		}
	}
	for _, want := range []string{"any 192x192", "any 512x512", "maskable 512x512"} {
		if !purposes[want] {
			t.Errorf("no %s icon: %v", want, purposes)
		}
	}

	for _, path := range []string{"/portal/assets/icons/missing.png", "/portal/assets/icons/..%2f..%2fportal.go", "/portal/assets/icons/icon.svg", "/portal/assets/sw.js"} {
		if resp, body := fetchPortal(t, ts.URL, path); resp.StatusCode != 404 || !bytes.Contains(body, []byte(`"not_found"`)) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}
