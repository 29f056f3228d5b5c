package filename_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"doorstep/backend/filename"
)

func TestSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"lease.pdf":                   "lease.pdf",
		"../../etc/passwd":            "passwd",
		`C:\Windows\system32\x.exe`:   "x.exe",
		"CON.txt":                     "_CON.txt",
		"lpt1":                        "_lpt1",
		"evil\u202Etxt.exe":           "eviltxt.exe",
		"..":                          "file",
		"  ...  ":                     "file",
		"photo.jpg. . ":               "photo.jpg",
		"a\x00b\x1fc.png":             "abc.png",
		"what?<>.doc":                 "what___.doc",
		".bashrc":                     "bashrc",
		"Übersicht – Mietvertrag.pdf": "Übersicht – Mietvertrag.pdf",
		"a\u009bb.txt":                "ab.txt",
	} {
		if got := filename.Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	if got := filename.Safe(long); len(got) > filename.MaxBytes || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name → %q (%d bytes)", got, len(got))
	}
}

// TestWindowsDeviceNames: every name Windows opens as a device instead of a
// file is made an ordinary name by a "_" in front, and only those.
func TestWindowsDeviceNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"CON", "_CON"}, {"PRN", "_PRN"}, {"AUX", "_AUX"}, {"NUL", "_NUL"},
		{"con", "_con"}, {"Prn", "_Prn"}, {"aUx", "_aUx"}, {"nul", "_nul"},
		{"COM0", "_COM0"}, {"COM1", "_COM1"}, {"com5", "_com5"}, {"COM9", "_COM9"},
		{"LPT0", "_LPT0"}, {"lpt1", "_lpt1"}, {"Lpt7", "_Lpt7"}, {"LPT9", "_LPT9"},
		{"COM¹", "_COM¹"}, {"com²", "_com²"}, {"COM³.txt", "_COM³.txt"},
		{"LPT¹", "_LPT¹"}, {"lpt².log", "_lpt².log"}, {"LPT³", "_LPT³"},
		{"CONIN$", "_CONIN$"}, {"conout$", "_conout$"}, {"Clock$", "_Clock$"}, {"CONIN$.txt", "_CONIN$.txt"},
		{"con.txt", "_con.txt"}, {"NUL.tar.gz", "_NUL.tar.gz"}, {"aux.c", "_aux.c"}, {"COM1.", "_COM1"},
		{"CON. ", "_CON"}, {"CON .", "_CON"}, {"con...", "_con"}, {"nul . . ", "_nul"},
		{"aux .txt", "_aux .txt"}, {"PRN  .pdf", "_PRN  .pdf"}, {"LPT1 . txt", "_LPT1 . txt"},
		{"..\\CON.txt", "_CON.txt"}, {"dir/nul", "_nul"}, {"  CON  ", "_CON"}, {".con", "_con"},
		{"c\u200Bon.txt", "_con.txt"}, {"NU\u202EL", "_NUL"}, // what is dropped first leaves a device name
		// Not devices: a longer word, another digit, a prefix elsewhere.
		{"CONSOLE.txt", "CONSOLE.txt"}, {"COM10", "COM10"}, {"LPT", "LPT"}, {"COM", "COM"},
		{"COM⁴", "COM⁴"}, {"COM½", "COM½"}, {"LPT١", "LPT١"}, {"CONIN", "CONIN"}, {"CLOCK", "CLOCK"},
		{"my con.txt", "my con.txt"}, {"nulls.csv", "nulls.csv"}, {"aux_1.txt", "aux_1.txt"},
		{"CON_", "CON_"}, {"PRN-1.pdf", "PRN-1.pdf"}, {"xNUL", "xNUL"}, {"COM1x", "COM1x"},
	} {
		if got := filename.Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if deviceName(filename.Safe(tc.in)) {
			t.Errorf("Safe(%q) = %q is still a device name", tc.in, filename.Safe(tc.in))
		}
	}
}

// deviceName is Windows' rule written out again, independently of the
// code under test: the part before the first dot, without trailing spaces
// (after the trailing dots and spaces of the whole name are dropped).
func deviceName(name string) bool {
	name = strings.TrimRight(name, ". ")
	if i := strings.Index(name, "."); i >= 0 {
		name = name[:i]
	}
	name = strings.ToUpper(strings.TrimRight(name, " "))
	devices := []string{"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
	for _, d := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"} {
		devices = append(devices, "COM"+d, "LPT"+d)
	}
	return slices.Contains(devices, name)
}

// FuzzSafe checks the promises of Safe on any input.
func FuzzSafe(f *testing.F) {
	for _, s := range []string{"a.pdf", "../x", `..\..\CON.txt`, "evil\u202Etxt.exe", strings.Repeat("ü", 150), "\xff\xfe", "NUL", " . ",
		"COM¹", "lpt0.txt", "CONOUT$ .log", "clock$. .", "aux .txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := filename.Safe(in)
		if out == "" || out == "." || out == ".." || len(out) > filename.MaxBytes || !utf8.ValidString(out) {
			t.Fatalf("Safe(%q) = %q", in, out)
		}
		if strings.ContainsAny(out, `/\<>:"|?*`) || strings.HasPrefix(out, ".") || strings.HasSuffix(out, ".") || strings.HasSuffix(out, " ") {
			t.Fatalf("Safe(%q) = %q has a forbidden character or edge", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Safe(%q) = %q keeps %U", in, out, r)
			}
		}
		if deviceName(out) {
			t.Fatalf("Safe(%q) = %q is a Windows device name", in, out)
		}
	})
}
