package app

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"doorstep/app/engine"
)

// TestTheUIKnowsTheEventPayloads keeps the UI's hand-written types of event
// payloads (Wails generates models only for bound methods' parameters and
// results) equal to the Go types' JSON: each field, with its type.
func TestTheUIKnowsTheEventPayloads(t *testing.T) {
	t.Parallel()
	const path = "../frontend/src/lib/api/types.ts"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, goType := range map[string]reflect.Type{
		"UploadProgress": reflect.TypeFor[engine.UploadProgress](),
	} {
		body := regexp.MustCompile(`(?s)export interface ` + name + ` \{(.*?)\n\}`).FindSubmatch(src)
		if body == nil {
			t.Errorf("%s has no `export interface %s { … }`", path, name)
			continue
		}
		var ts []string
		for _, m := range regexp.MustCompile(`(?m)^\s*(\w+)(\??): ([\w\[\]| ]+);`).FindAllSubmatch(body[1], -1) {
			ts = append(ts, string(m[1])+string(m[2])+": "+string(m[3]))
		}
		var want []string
		for i := range goType.NumField() {
			f := goType.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			optional := ""
			if strings.Contains(opts, "omitempty") {
				optional = "?"
			}
			want = append(want, tag+optional+": "+tsType(f.Type))
		}
		if !slices.Equal(ts, want) {
			t.Errorf("%s: the UI's %s is\n  %s\nGo's %s is\n  %s", path, name, strings.Join(ts, "; "), goType, strings.Join(want, "; "))
		}
	}
}

// tsType is how the UI types a Go field of type t (the kinds payloads use).
func tsType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return "number"
	}
	return t.String()
}
