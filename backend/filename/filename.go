// Package filename makes file names that come from someone else (a client
// uploading, a server listing files) safe to show and to save on any system.
// The server names what it stores with it, and the desktop app the files it
// saves, so it is a small package of its own: pure functions over strings,
// the standard library only.
package filename

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBytes bounds a name made by Safe.
const MaxBytes = 200

// isDeviceName reports whether Windows takes a file of this name for a
// device instead of a file: CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9 (also
// with the superscript digits ¹ ² ³), CONIN$, CONOUT$ and CLOCK$, in any
// case, with any extension ("nul.tar.gz" is NUL too) and with spaces before
// the extension ("aux .txt"); trailing dots and spaces of the whole name
// are dropped by Windows before it looks.
func isDeviceName(name string) bool {
	base, _, _ := strings.Cut(strings.TrimRight(name, ". "), ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$":
		return true
	}
	for _, port := range []string{"COM", "LPT"} {
		if n, ok := strings.CutPrefix(base, port); ok && utf8.RuneCountInString(n) == 1 && strings.ContainsAny(n, "0123456789¹²³") {
			return true
		}
	}
	return false
}

// Safe turns a name from someone else into one that is safe to show and to
// save on any system: no directories or separators, no "..", no control,
// format or bidirectional-override characters (which can disguise
// "evil‮txt.exe" as "evilexe.txt"), no Windows device names (see
// isDeviceName; "CON.txt" becomes "_CON.txt"), no trailing dots or spaces,
// at most MaxBytes bytes of valid UTF-8 keeping the extension. An empty
// result becomes "file".
func Safe(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1 // includes bidi overrides and isolates (Cf)
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	name = strings.TrimRight(name, ". ")
	name = strings.TrimLeft(name, ".")
	if isDeviceName(name) {
		name = "_" + name // still recognisable, and no longer a device
	}
	if len(name) > MaxBytes {
		ext := filepath.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		stem := name[:MaxBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = strings.TrimRight(stem, ". ") + ext
	}
	if name == "" {
		return "file"
	}
	return name
}
