package httpapi

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"doorstep/backend/portal"
)

var colourVar = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-f]{6})`)

// schemeColours are the colour variables css sets, light then dark (after
// its prefers-color-scheme: dark rule).
func schemeColours(t *testing.T, css string) (light, dark map[string]string) {
	t.Helper()
	before, after, ok := strings.Cut(css, "@media (prefers-color-scheme: dark)")
	if !ok {
		t.Fatalf("no dark scheme in:\n%s", css)
	}
	read := func(s string) map[string]string {
		m := map[string]string{}
		for _, v := range colourVar.FindAllStringSubmatch(s, -1) {
			m[v[1]] = v[2]
		}
		return m
	}
	return read(before), read(after)
}

// TestServerPagesUseThePortalsPalette holds the invite and new-link
// pages' inline colours, light and dark, to the portal's palette, whose
// contrast test checks every pair they use.
func TestServerPagesUseThePortalsPalette(t *testing.T) {
	palette, err := fs.ReadFile(portal.Assets, "assets/palette.css")
	if err != nil {
		t.Fatal(err)
	}
	wantLight, wantDark := schemeColours(t, string(palette))
	light, dark := schemeColours(t, portalPageHead)
	if !slices.Equal(slices.Sorted(maps.Keys(light)), slices.Sorted(maps.Keys(dark))) || len(light) < 5 {
		t.Errorf("the pages' light colours %v and dark ones %v are not the same set", light, dark)
	}
	for name, c := range light {
		if wantLight[name] != c {
			t.Errorf("light --%s is %s, the palette's %s", name, c, wantLight[name])
		}
	}
	for name, c := range dark {
		if wantDark[name] != c {
			t.Errorf("dark --%s is %s, the palette's %s", name, c, wantDark[name])
		}
	}
	// A property (not a --variable) given a colour literal.
	if regexp.MustCompile(`[\s;{][a-z][a-z-]*\s*:[^;}]*#[0-9a-f]{3}`).MatchString(portalPageHead) {
		t.Error("the pages' style writes a colour outside the palette's variables")
	}
}
