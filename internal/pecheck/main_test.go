package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// buildWindows compiles a small Go program for Windows with the given
// architecture and linker flags, the way the real app is built (no cgo).
func buildWindows(t *testing.T, goarch, ldflags string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", exe, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

func factsOf(t *testing.T, path string) map[string]string {
	t.Helper()
	facts, err := inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range facts {
		m[f.key] = f.value
	}
	return m
}

func TestInspect(t *testing.T) {
	t.Run("GUIAmd64", func(t *testing.T) {
		got := factsOf(t, buildWindows(t, "amd64", "-H windowsgui"))
		want := map[string]string{"format": "PE32+", "machine": "amd64", "subsystem": "windows-gui", "signed": "false", "nsis": "false", "product-version": "", "execution-level": ""}
		assertFacts(t, got, want)
	})
	t.Run("Console386", func(t *testing.T) {
		got := factsOf(t, buildWindows(t, "386", ""))
		assertFacts(t, got, map[string]string{"format": "PE32", "machine": "386", "subsystem": "console"})
	})
	t.Run("NSISDataAfterSections", func(t *testing.T) {
		exe := buildWindows(t, "amd64", "")
		data, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		// An NSIS installer is its stub plus {flags, signature, ...} appended.
		data = slices.Concat(data, []byte{0, 0, 0, 0}, nsisSignature, make([]byte, 64))
		if err := os.WriteFile(exe, data, 0o600); err != nil {
			t.Fatal(err)
		}
		assertFacts(t, factsOf(t, exe), map[string]string{"nsis": "true", "signed": "false"})
	})
	t.Run("NotAnExecutable", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "text.exe")
		if err := os.WriteFile(path, []byte("MZ but not really"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := inspect(path); err == nil {
			t.Fatal("inspect accepted a file that is not a PE executable")
		}
	})
}

func TestProductVersion(t *testing.T) {
	// A StringTable entry as Windows lays it out: header, key, padding to
	// 4 bytes, value, all UTF-16LE.
	key := utf16LE("ProductVersion\x00")
	value := utf16LE("1.2.3-4-gabc\x00")
	entry := slices.Concat([]byte{0, 0, byte(len(value) / 2), 0, 1, 0}, key)
	for len(entry)%4 != 0 {
		entry = append(entry, 0)
	}
	entry = slices.Concat(entry, value)
	rsrc := slices.Concat(make([]byte, 40), entry)
	if got := stringValue(rsrc, "ProductVersion"); got != "1.2.3-4-gabc" {
		t.Fatalf("ProductVersion = %q, want %q", got, "1.2.3-4-gabc")
	}
	if got := stringValue(rsrc, "FileVersion"); got != "" {
		t.Fatalf("FileVersion = %q, want none", got)
	}
}

func TestExecutionLevel(t *testing.T) {
	for manifest, want := range map[string]string{
		`<requestedExecutionLevel level="asInvoker" uiAccess="false"/>`:  "asInvoker",
		`<requestedExecutionLevel  level='requireAdministrator'/>`:       "requireAdministrator",
		`<assembly xmlns="urn:schemas-microsoft-com:asm.v1"></assembly>`: "",
	} {
		if got := executionLevel([]byte(manifest)); got != want {
			t.Errorf("executionLevel(%s) = %q, want %q", manifest, got, want)
		}
	}
}

func assertFacts(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
