package backend_test

import (
	"strings"
	"testing"

	"doorstep/backend"
)

func TestDeviceDescription(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":                       "Chrome on Android",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0":                   "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5; rv:128.0) Gecko/20100101 Firefox/128.0":                                                     "Firefox on macOS",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36":                               "Chrome on Linux",
		"curl/8.5.0": backend.UnknownDevice,
		"":           backend.UnknownDevice,
	} {
		if got := backend.DeviceDescription(ua); got != want {
			t.Errorf("DeviceDescription(%q) = %q, want %q", ua, got, want)
		}
	}
	if got := backend.TrimUserAgent(strings.Repeat("é", 400)); len(got) > backend.MaxUserAgent || !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("TrimUserAgent kept %d bytes: %q…", len(got), got[:10])
	}
}
