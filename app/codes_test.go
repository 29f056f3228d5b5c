package app

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"doorstep/backend"
)

// TestTheUIKnowsEveryErrorCode keeps the UI's copy of the error codes
// (frontend/src/lib/api/codes.ts) equal to backend.Codes, in order.
func TestTheUIKnowsEveryErrorCode(t *testing.T) {
	t.Parallel()
	const path = "../frontend/src/lib/api/codes.ts"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)export const CODES = \[(.*?)\] as const;`).FindSubmatch(src)
	if list == nil {
		t.Fatalf("%s has no `export const CODES = [...] as const;`", path)
	}
	var ts []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllSubmatch(list[1], -1) {
		ts = append(ts, string(m[1]))
	}
	if !slices.Equal(ts, backend.Codes) {
		t.Errorf("%s lists\n  %s\nbackend.Codes is\n  %s", path, strings.Join(ts, " "), strings.Join(backend.Codes, " "))
	}
}
