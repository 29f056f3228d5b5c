// Package pdf draws an export's conversation.pdf (an evidence.PDFRenderer)
// with go-pdf/fpdf: A4, page numbers, the export's header (and on every
// later page a running header naming the chain head), every message
// with its files, images scaled inline, and every file named with its
// SHA-256.
//
// The text may be in any script, so the PDF carries a Unicode font: DejaVu
// Sans (and Mono, for hashes), embedded here under its free licence
// (fonts/LICENSE) and subset by fpdf to the characters used. A character
// the font does not have (emoji; Chinese, Japanese and Korean) is written
// as its code, "[U+1F44D]", so nothing is silently lost; the HTML shows it
// with the reader's own fonts. Right-to-left text is laid out line by line
// in visual order (fpdf draws left to right); Arabic letters keep their
// isolated forms, as fpdf does not join them.
//
// The same document gives the same bytes (the dates are the export's, the
// images are re-encoded the same way), which lets a check draw the PDF
// again and compare.
package pdf

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"

	"doorstep/backend/evidence"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	sansTTF []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	sansBoldTTF []byte
	//go:embed fonts/DejaVuSansMono.ttf
	monoTTF []byte
)

// Page layout, in millimetres.
const (
	margin      = 15.0
	topMargin   = 16.0
	bottomSpace = 16.0
	labelWidth  = 42.0
	indent      = 12.0 // the landlord's messages, set off from the tenants'
	maxImageW   = 110.0
	maxImageH   = 85.0
)

var _ evidence.PDFRenderer = Render

// Render draws d as a PDF into w, reading the images it shows with open.
func Render(w io.Writer, d *evidence.Document, open evidence.Opener) error {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(d.Exported)
	p.SetModificationDate(d.Exported)
	p.SetCatalogSort(true)
	p.SetTitle(d.Title, true)
	p.SetAuthor(d.Exporter, true)
	p.SetSubject("Conversation exported from Doorstep", true)
	p.SetCreator("Doorstep "+d.AppVersion, true)
	// fpdf writes into the font bytes it is given while it subsets them:
	// each document gets copies, or the next would start from changed
	// bytes and come out different.
	p.AddUTF8FontFromBytes("sans", "", bytes.Clone(sansTTF))
	p.AddUTF8FontFromBytes("sans", "B", bytes.Clone(sansBoldTTF))
	p.AddUTF8FontFromBytes("mono", "", bytes.Clone(monoTTF))
	p.SetMargins(margin, topMargin, margin)
	p.SetAutoPageBreak(true, bottomSpace)
	p.AliasNbPages("{nb}")
	r := &renderer{p: p, open: open, widths: map[int]bool{}}
	// Every page after the first says which history it shows (a printed
	// page may be read alone) and where it sits among the others.
	p.SetHeaderFuncMode(func() {
		if p.PageNo() == 1 {
			return
		}
		p.SetFont("sans", "", 7.5)
		p.SetTextColor(110, 116, 130)
		p.SetXY(margin, 8)
		page := fmt.Sprintf("Page %d of {nb}", p.PageNo())
		// "{nb}" is wider than the count it stands for: the page number
		// keeps room for "Page 999 of 999".
		room := 210 - 2*margin - p.GetStringWidth("Page 999 of 999") - 3
		about := printable(d.Title) + " · exported " + d.ExportedAt + " · " + evidence.ShortHead(d.HeadSeq, d.Head)
		p.CellFormat(0, 4, r.clip(about, room), "B", 0, "L", false, 0, "")
		p.SetXY(margin, 8)
		p.CellFormat(0, 4, page, "", 1, "R", false, 0, "")
		p.SetY(topMargin)
	}, false)
	p.SetFooterFunc(func() {
		p.SetY(-11)
		p.SetFont("sans", "", 7.5)
		p.SetTextColor(110, 116, 130)
		p.CellFormat(0, 4, fmt.Sprintf("Page %d of {nb}", p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	r.header(d)
	for i := range d.Messages {
		r.message(&d.Messages[i])
	}
	if len(d.Messages) == 0 {
		r.font("sans", "", 10)
		r.text("No messages.", 5, "")
	}
	if err := p.Error(); err != nil {
		return err
	}
	return p.Output(w)
}

type renderer struct {
	p    *fpdf.Fpdf
	open evidence.Opener
	// widths are the widths, in pixels, of the images drawn so far.
	widths map[int]bool
}

func (r *renderer) font(family, style string, size float64) {
	r.p.SetFont(family, style, size)
	r.p.SetTextColor(29, 34, 48)
}

// header draws the first page's account of what this is.
func (r *renderer) header(d *evidence.Document) {
	p := r.p
	r.font("sans", "B", 16)
	r.text(d.Title, 8, "")
	p.Ln(2)
	row := func(label, value string, mono bool) {
		x := p.GetX()
		y := p.GetY()
		p.SetFont("sans", "", 9)
		p.SetTextColor(91, 100, 117)
		p.CellFormat(labelWidth, 4.6, label, "", 0, "L", false, 0, "")
		p.SetXY(x+labelWidth, y)
		if mono {
			r.font("mono", "", 8)
		} else {
			r.font("sans", "", 9)
		}
		p.SetLeftMargin(margin + labelWidth)
		r.text(value, 4.6, "")
		p.SetLeftMargin(margin)
		p.SetX(margin)
	}
	row("Landlord", d.Organisation, false)
	row("Exported by", d.Exporter+", on "+d.ExportedAt, false)
	if d.Place != "" {
		row("Place", d.Place, false)
	}
	var tenants []string
	for _, t := range d.Tenants {
		line := t.Name
		for _, l := range t.Leases {
			line += "\nLease: " + evidence.LeaseLine(l)
		}
		tenants = append(tenants, line)
	}
	if len(tenants) == 0 {
		tenants = []string{"none recorded"}
	}
	row("Tenants", strings.Join(tenants, "\n"), false)
	row("Times", "shown in "+d.TimeZone+", with their offset from UTC", false)
	row("Server", d.ServerID, true)
	row("Server key fingerprint", d.Fingerprint, true)
	row("Chain head", fmt.Sprintf("message %d: %s", d.HeadSeq, d.Head), true)
	row("Signature", d.Signature, false)
	if len(d.Notes) > 0 {
		p.Ln(2)
		p.SetFillColor(255, 248, 230)
		r.font("sans", "B", 9)
		p.CellFormat(0, 5, "Not in this export", "", 1, "L", true, 0, "")
		r.font("sans", "", 9)
		for _, n := range d.Notes {
			r.textFilled(n, 4.6)
		}
	}
	p.Ln(2)
	y := p.GetY()
	p.SetLineWidth(0.5)
	p.Line(margin, y, 210-margin, y)
	p.SetLineWidth(0.2)
	p.Ln(3)
}

// message draws one message: who and when, the text, the files.
func (r *renderer) message(m *evidence.DocMessage) {
	p := r.p
	left := margin
	if m.Role == "Landlord" {
		left += indent
	}
	p.SetLeftMargin(left)
	p.SetX(left)
	// Keep the line saying who wrote with at least a line of the text.
	if p.GetY()+14 > 297-bottomSpace {
		p.AddPage()
	}
	r.font("sans", "B", 8.5)
	p.SetTextColor(91, 100, 117)
	meta := fmt.Sprintf("#%d · %s · %s (%s)", m.Seq, m.Time, printable(m.Sender), m.Role)
	if m.Urgent {
		meta += " · "
		p.Write(4.4, meta)
		p.SetTextColor(179, 38, 30)
		p.Write(4.4, "Marked urgent")
		p.Ln(4.8)
	} else {
		r.text(meta, 4.4, "")
		p.Ln(0.4)
	}
	if m.Text != "" {
		r.font("sans", "", 10)
		r.text(m.Text, 5, "")
	}
	for _, f := range m.Files {
		r.file(f)
	}
	p.SetLeftMargin(margin)
	p.SetX(margin)
	p.Ln(1.5)
	y := p.GetY()
	p.SetDrawColor(221, 225, 232)
	p.Line(margin, y, 210-margin, y)
	p.SetDrawColor(0, 0, 0)
	p.Ln(2.5)
}

// file draws a shared file: the image when it is one that can be shown,
// then its name, size and SHA-256.
func (r *renderer) file(f evidence.DocFile) {
	p := r.p
	if f.Path != "" {
		r.image(f.Path)
	}
	r.font("sans", "", 8.5)
	line := fmt.Sprintf("File: %s · %s", f.Name, evidence.Size(f.Size))
	if f.Path != "" {
		line += " · in " + f.Path
	}
	r.text(line, 4.2, "")
	if f.Path == "" {
		p.SetTextColor(179, 38, 30)
		r.text("Not in this export.", 4.2, "")
	}
	r.font("mono", "", 7)
	p.SetTextColor(91, 100, 117)
	r.text("SHA-256 "+f.SHA256, 3.8, "")
}

// text writes s, wrapped to the width left, each paragraph in its own
// direction and each line in visual order.
func (r *renderer) text(s string, lineH float64, _ string) {
	p := r.p
	lm, _, rm, _ := p.GetMargins()
	width := 210 - lm - rm
	for _, para := range strings.Split(strings.ReplaceAll(printable(s), "\t", "    "), "\n") {
		rtl := rightToLeft(para)
		align := "L"
		if rtl {
			align = "R"
		}
		lines := p.SplitText(para, width)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, line := range lines {
			p.SetX(lm)
			p.CellFormat(width, lineH, visual(line, rtl), "", 1, align, false, 0, "")
		}
	}
}

// textFilled writes s on the current fill colour.
func (r *renderer) textFilled(s string, lineH float64) {
	p := r.p
	lm, _, rm, _ := p.GetMargins()
	width := 210 - lm - rm
	for _, para := range strings.Split(printable(s), "\n") {
		for _, line := range p.SplitText(para, width-2) {
			p.CellFormat(width, lineH, " "+visual(line, rightToLeft(line)), "", 1, "L", true, 0, "")
		}
	}
}

// clip shortens s to fit width millimetres in the current font.
func (r *renderer) clip(s string, width float64) string {
	for r.p.GetStringWidth(s) > width && s != "" {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// The characters the embedded fonts have; all three cover the same
// scripts but Mono, which has fewer: a character must be in Sans and Mono
// alike, so that a hash line or a name written in either never fails.
var (
	coverOnce sync.Once
	covered   []bool // by rune, the Basic Multilingual Plane
)

func loadCoverage() {
	covered = make([]bool, 0x10000)
	var fonts []*sfnt.Font
	for _, b := range [][]byte{sansTTF, sansBoldTTF} {
		f, err := sfnt.Parse(b)
		if err != nil {
			panic("pdf: the embedded font cannot be read: " + err.Error())
		}
		fonts = append(fonts, f)
	}
	var buf sfnt.Buffer
	for r := rune(0x20); r < 0x10000; r++ {
		ok := true
		for _, f := range fonts {
			if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
				ok = false
				break
			}
		}
		covered[r] = ok
	}
}

// printable is s with every character the fonts lack written as its code,
// "[U+1F44D]", and the invisible direction controls dropped (the layout
// here does their work, and the text exactly as sent is in messages.json).
func printable(s string) string {
	coverOnce.Do(loadCoverage)
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\n' || c == '\t':
			b.WriteRune(c)
		case isDirectionControl(c):
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "[U+%04X]", c)
		case c < 0x10000 && covered[c]:
			b.WriteRune(c)
		default:
			fmt.Fprintf(&b, "[U+%04X]", c)
		}
	}
	return b.String()
}

func isDirectionControl(c rune) bool {
	return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202C) || (c >= 0x2066 && c <= 0x2069)
}

// rightToLeft reports whether a paragraph's first letter is right-to-left
// (Hebrew, Arabic, …): its direction, as Unicode decides it.
func rightToLeft(s string) bool {
	for _, c := range s {
		switch {
		case isRightToLeft(c):
			return true
		case unicode.IsLetter(c):
			return false
		}
	}
	return false
}

// visual is one line of text in the order it is drawn, left to right,
// for a paragraph whose direction is right-to-left when rtl: a short
// form of the Unicode bidirectional algorithm (UAX #9) that is enough for
// messages. Each character gets a level, even left to right and odd right
// to left: a right-to-left letter is odd, a left-to-right one even, digits
// read left to right, and spaces and punctuation take the direction of the
// letters on both sides of them, else the paragraph's. Then, from the
// highest level down, every stretch at that level or above is reversed,
// and brackets in right-to-left stretches are mirrored.
func visual(line string, rtl bool) string {
	rs := []rune(line)
	if !rtl && !slices.ContainsFunc(rs, isRightToLeft) {
		return line
	}
	base := 0
	if rtl {
		base = 1
	}
	const (
		neutral = iota
		left
		right
		digit
	)
	kind := make([]int, len(rs))
	for i, c := range rs {
		switch {
		case isRightToLeft(c):
			kind[i] = right
		case unicode.IsDigit(c):
			kind[i] = digit
		case unicode.IsLetter(c):
			kind[i] = left
		case unicode.Is(unicode.Mn, c) && i > 0:
			kind[i] = kind[i-1] // a mark goes with its letter
		}
	}
	// A separator between two digits is part of the number: "1,250".
	for i := 1; i+1 < len(rs); i++ {
		if strings.ContainsRune(",.:/", rs[i]) && kind[i-1] == digit && kind[i+1] == digit {
			kind[i] = digit
		}
	}
	// strongAt is the direction of the nearest letter or digit from i in
	// step's direction (digits count as right-to-left next to such text,
	// as the algorithm has them), or the paragraph's.
	strongAt := func(i, step int) int {
		for j := i; j >= 0 && j < len(rs); j += step {
			switch kind[j] {
			case left:
				return left
			case right, digit:
				if kind[j] == digit && base == 0 && !rightBefore(kind, j, right) {
					return left
				}
				return right
			}
		}
		if base == 1 {
			return right
		}
		return left
	}
	level := make([]int, len(rs))
	for i := range rs {
		switch kind[i] {
		case right:
			level[i] = 1
		case left:
			level[i] = base + base // 0, or 2 inside right-to-left text
		case digit:
			if base == 1 || rightBefore(kind, i, right) {
				level[i] = 2
			}
		default:
			before, after := strongAt(i, -1), strongAt(i, 1)
			switch {
			case before == after && before == right:
				level[i] = 1
			case before == after:
				level[i] = 2 * base
			default:
				level[i] = base
			}
		}
	}
	for top := slices.Max(level); top >= 1; top-- {
		for i := 0; i < len(rs); {
			if level[i] < top {
				i++
				continue
			}
			j := i
			for j < len(rs) && level[j] >= top {
				j++
			}
			reverseMarksKept(rs[i:j])
			slices.Reverse(level[i:j])
			i = j
		}
	}
	for i, c := range rs {
		if level[i]%2 == 1 {
			rs[i] = mirror(c)
		}
	}
	return string(rs)
}

// rightBefore reports whether the nearest letter before i is of kind want.
func rightBefore(kind []int, i, want int) bool {
	for j := i - 1; j >= 0; j-- {
		if kind[j] == 1 || kind[j] == 2 { // left, right
			return kind[j] == want
		}
	}
	return false
}

// reverseMarksKept reverses rs in place, each combining mark kept after
// the letter it belongs to.
func reverseMarksKept(rs []rune) {
	slices.Reverse(rs)
	for i := 0; i < len(rs); i++ {
		if !unicode.Is(unicode.Mn, rs[i]) {
			continue
		}
		j := i
		for j < len(rs) && unicode.Is(unicode.Mn, rs[j]) {
			j++
		}
		if j < len(rs) { // the letter is at j: it goes first
			letter := rs[j]
			copy(rs[i+1:j+1], rs[i:j])
			rs[i] = letter
		}
		i = j
	}
}

func isRightToLeft(c rune) bool {
	return unicode.In(c, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko) && !unicode.IsDigit(c)
}

// mirror swaps a bracket for its counterpart, as right-to-left text shows it.
func mirror(c rune) rune {
	if m, ok := mirrored[c]; ok {
		return m
	}
	return c
}

var mirrored = map[rune]rune{'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<', '«': '»', '»': '«'}
