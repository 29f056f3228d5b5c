// Command pecheck prints what a Windows executable's headers say, one
// "key=value" line each, so scripts/test-package-windows.sh can check the
// packages this machine cannot run (Wine does not start Go programs):
//
//	format=PE32+              PE32 or PE32+ (64-bit optional header)
//	machine=amd64             amd64, 386, arm64 or the number
//	subsystem=windows-gui     windows-gui, console or the number
//	signed=true               an Authenticode certificate table is present
//	nsis=true                 NSIS's header follows the sections (an installer)
//	product-version=1.2.3     the version resource's ProductVersion string
//	execution-level=asInvoker the manifest's requestedExecutionLevel
//
// Usage: go run ./internal/pecheck FILE
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"unicode/utf16"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pecheck FILE")
		os.Exit(2)
	}
	facts, err := inspect(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pecheck:", err)
		os.Exit(1)
	}
	for _, f := range facts {
		fmt.Printf("%s=%s\n", f.key, f.value)
	}
}

// fact is one line of the report.
type fact struct{ key, value string }

// certificateTable is IMAGE_DIRECTORY_ENTRY_SECURITY, where Authenticode
// signatures live.
const certificateTable = 4

// nsisSignature starts NSIS's first header (after its flags word):
// 0xDEADBEEF then "NullsoftInst".
var nsisSignature = []byte("\xef\xbe\xad\xdeNullsoftInst")

// inspect reads the file at path and returns its facts in report order.
func inspect(path string) ([]fact, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var format string
	var subsystem uint16
	var security pe.DataDirectory
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		format, subsystem = "PE32+", h.Subsystem
		if h.NumberOfRvaAndSizes > certificateTable {
			security = h.DataDirectory[certificateTable]
		}
	case *pe.OptionalHeader32:
		format, subsystem = "PE32", h.Subsystem
		if h.NumberOfRvaAndSizes > certificateTable {
			security = h.DataDirectory[certificateTable]
		}
	default:
		return nil, errors.New("no optional header: not an executable")
	}

	rsrc, err := resources(f)
	if err != nil {
		return nil, err
	}
	return []fact{
		{"format", format},
		{"machine", machineName(f.Machine)},
		{"subsystem", subsystemName(subsystem)},
		{"signed", strconv.FormatBool(security.Size > 0)},
		{"nsis", strconv.FormatBool(bytes.Contains(overlay(f, data), nsisSignature))},
		{"product-version", stringValue(rsrc, "ProductVersion")},
		{"execution-level", executionLevel(rsrc)},
	}, nil
}

// overlay is what follows the last section: NSIS appends its data there
// (and a signature comes after that).
func overlay(f *pe.File, data []byte) []byte {
	var end uint32
	for _, s := range f.Sections {
		end = max(end, s.Offset+s.Size)
	}
	if int(end) >= len(data) {
		return nil
	}
	return data[end:]
}

// resources is the .rsrc section's bytes: the icon, the version resource
// and the manifest. Empty if there is none.
func resources(f *pe.File) ([]byte, error) {
	s := f.Section(".rsrc")
	if s == nil {
		return nil, nil
	}
	rsrc, err := io.ReadAll(s.Open())
	if err != nil {
		return nil, fmt.Errorf("reading .rsrc: %w", err)
	}
	return rsrc, nil
}

// executionLevelAttr is how the manifest (UTF-8 XML) asks for rights.
var executionLevelAttr = regexp.MustCompile(`requestedExecutionLevel\s+level=['"](\w+)['"]`)

// executionLevel is the manifest's requestedExecutionLevel ("asInvoker":
// runs with the user's rights; "requireAdministrator": asks for elevation),
// "" if the manifest does not say.
func executionLevel(rsrc []byte) string {
	if m := executionLevelAttr.FindSubmatch(rsrc); m != nil {
		return string(m[1])
	}
	return ""
}

// stringValue finds the value of key in a version resource's StringTable.
// Each entry is {wLength, wValueLength, wType, key UTF-16 NUL-terminated,
// padding to 4 bytes, value UTF-16 NUL-terminated}; the key is searched for
// rather than the resource tree walked, which is enough for one well-known
// key. "" if the key is absent.
func stringValue(rsrc []byte, key string) string {
	k := utf16LE(key + "\x00")
	at := bytes.Index(rsrc, k)
	if at < 6 {
		return ""
	}
	start := at - 6 // the entry's header
	valueLen := int(binary.LittleEndian.Uint16(rsrc[start+2:]))
	value := at + len(k)
	value += (4 - (value-start)%4) % 4
	var units []uint16
	for i := value; i+1 < len(rsrc) && len(units) < valueLen; i += 2 {
		u := binary.LittleEndian.Uint16(rsrc[i:])
		if u == 0 {
			break
		}
		units = append(units, u)
	}
	return string(utf16.Decode(units))
}

// utf16LE encodes s the way Windows resources store strings.
func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func machineName(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "386"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	}
	return fmt.Sprintf("%#x", m)
}

func subsystemName(s uint16) string {
	switch s {
	case pe.IMAGE_SUBSYSTEM_WINDOWS_GUI:
		return "windows-gui"
	case pe.IMAGE_SUBSYSTEM_WINDOWS_CUI:
		return "console"
	}
	return strconv.Itoa(int(s))
}
