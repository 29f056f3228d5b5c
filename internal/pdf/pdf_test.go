package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"doorstep/backend/evidence"
)

// The same document gives the same bytes, whatever fpdf's maps do: here
// with eight photos of one size (fpdf orders images by width alone).
func TestSameDocumentSameBytes(t *testing.T) {
	photos := map[string][]byte{}
	var files []evidence.DocFile
	for i := range 8 {
		path := fmt.Sprintf("files/%d.jpg", i)
		photos[path] = jpegWithOrientation(t, 1+i%8)
		files = append(files, evidence.DocFile{Name: path, Path: path})
	}
	open := func(p string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(photos[p])), nil }
	d := &evidence.Document{Title: "Olivia", Exported: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
		Messages: []evidence.DocMessage{{Seq: 1, Text: "שלום café 👍", Files: files}}}
	var first []byte
	for i := range 6 {
		var b bytes.Buffer
		if err := Render(&b, d, open); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("render %d differs from the first", i+1)
		}
	}
}

func TestVisualOrder(t *testing.T) {
	for _, tc := range []struct {
		line string
		rtl  bool
		want string
	}{
		{"plain English", false, "plain English"},
		{"Hi שלום there", false, "Hi םולש there"},
		{"שלום עולם", true, "םלוע םולש"},
		{"שלום (1,250) עולם", true, "םלוע (1,250) םולש"},
		{"paid 1,250 שקל", false, "paid 1,250 לקש"},
		{"שלום Maria!", true, "!Maria םולש"},
	} {
		if got := visual(tc.line, tc.rtl); got != tc.want {
			t.Errorf("visual(%q, %v) = %q, want %q", tc.line, tc.rtl, got, tc.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := printable("café 👍 漢\u202Bx\u202C\x07"); got != "café [U+1F44D] [U+6F22]x[U+0007]" {
		t.Errorf("%q", got)
	}
}

// jpegWithOrientation is a 40×20 photo, left half red, that says it was
// taken with the phone turned (EXIF orientation o).
func jpegWithOrientation(t *testing.T, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			c := color.RGBA{0, 0, 255, 255}
			if x < 20 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.BigEndian.PutUint16(tiff[18:], uint16(o))
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := append([]byte{0xFF, 0xE1, 0, 0}, app1...)
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	raw := b.Bytes()
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

func TestPhotosAreTurnedUpright(t *testing.T) {
	photo := jpegWithOrientation(t, 6)
	if o := exifOrientation(photo); o != 6 {
		t.Fatalf("orientation %d", o)
	}
	r := &renderer{open: func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(photo)), nil }, widths: map[int]bool{}}
	jpg, w, h, ok := r.prepare("a.jpg")
	if !ok || w != 20 || h != 40 {
		t.Fatalf("prepared %v %dx%d", ok, w, h)
	}
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	// Turned a quarter clockwise: the red left half is now on top.
	if r, _, b, _ := img.At(10, 5).RGBA(); r < b {
		t.Errorf("the top is not red")
	}
	if r, _, b, _ := img.At(10, 35).RGBA(); b < r {
		t.Errorf("the bottom is not blue")
	}
}
