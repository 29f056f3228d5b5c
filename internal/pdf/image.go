package pdf

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	_ "image/gif" // the image types a phone or a scanner sends
	"image/jpeg"
	_ "image/png"
	"io"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// Images are read within bounds, shrunk to what a printed page shows, and
// re-encoded as JPEG: fpdf then never meets a format it cannot take (an
// interlaced PNG, a WebP), the PDF stays small, and the same photo gives
// the same bytes every time.
const (
	maxImageBytes  = 32 << 20
	maxImagePixels = 60_000_000 // a 60-megapixel photo; larger is refused unread
	maxImageSide   = 1400       // pixels of the longer side once shrunk (about 300 dpi at 110 mm)
	jpegQuality    = 85
)

// image draws the image at path, scaled to fit, when it is one; anything
// else (a PDF, a phone's HEIC photo, a damaged file) draws nothing, and
// the file is listed by name as every file is.
func (r *renderer) image(path string) {
	b, w, h, ok := r.prepare(path)
	if !ok {
		return
	}
	p := r.p
	info := p.RegisterImageOptionsReader(path, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(b))
	if info == nil || p.Err() {
		p.ClearError()
		return
	}
	lm, _, rm, _ := p.GetMargins()
	maxW := min(maxImageW, 210-lm-rm)
	// A small image is shown at its size on a screen (96 pixels an inch),
	// never blown up; a large one fits the column.
	natural := float64(w) * 25.4 / 96
	dw := min(maxW, natural)
	dh := dw * float64(h) / float64(w)
	if dh > maxImageH {
		dw, dh = maxImageH*float64(w)/float64(h), maxImageH
	}
	if p.GetY()+dh > 297-bottomSpace {
		p.AddPage()
	}
	p.ImageOptions(path, lm, p.GetY()+1, dw, dh, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
	p.SetY(p.GetY() + dh + 2)
}

// prepare reads, shrinks and re-encodes the image at path.
func (r *renderer) prepare(path string) (jpg []byte, w, h int, ok bool) {
	if r.open == nil {
		return nil, 0, 0, false
	}
	rc, err := r.open(path)
	if err != nil {
		return nil, 0, 0, false
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxImageBytes+1))
	if err != nil || len(raw) > maxImageBytes {
		return nil, 0, 0, false
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, 0, 0, false
	}
	w, h = cfg.Width, cfg.Height
	if long := max(w, h); long > maxImageSide {
		w, h = max(1, w*maxImageSide/long), max(1, h*maxImageSide/long)
	}
	scaled := w != cfg.Width || h != cfg.Height
	o := exifOrientation(raw)
	// fpdf writes a document's images in the order of their widths, and
	// images of one width in no fixed order: each image of a document is
	// given a width of its own (a pixel or two narrower at most), so the
	// same document always gives the same bytes.
	for {
		upright := w
		if o >= 5 {
			upright = h
		}
		if !r.widths[upright] || upright <= 1 {
			r.widths[upright] = true
			break
		}
		switch {
		case !scaled && o >= 5: // narrowed by a pixel off its edge
			h--
		case !scaled:
			w--
		case o >= 5:
			w, h = max(1, w*(h-1)/h), h-1
		default:
			w, h = w-1, max(1, h*(w-1)/w)
		}
	}
	// A JPEG that is upright and small enough goes in as it is: decoding
	// and encoding it again would cost time and quality for nothing.
	if format == "jpeg" && o == 1 && w == cfg.Width && h == cfg.Height {
		return raw, w, h, true
	}
	src, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, 0, false
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if format != "jpeg" { // transparent parts show on white, as on the page
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if !scaled { // as it is, or a pixel or two narrower: far quicker than scaling
		draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, op)
	} else {
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), op, nil)
	}
	out := orient(dst, o)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, out, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, 0, 0, false
	}
	return b.Bytes(), out.Bounds().Dx(), out.Bounds().Dy(), true
}

// exifOrientation reads a JPEG's EXIF orientation (1 to 8; 1, upright,
// when there is none): how a phone says it was held, which browsers apply
// and the image decoder does not.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		size := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xDA || size < 2 || i+2+size > len(b) { // image data, or damaged
			return 1
		}
		seg := b[i+4 : i+2+size]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

func tiffOrientation(t []byte) int {
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := int(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(order.Uint16(t[ifd:]))
	for k := 0; k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if order.Uint16(t[e:]) == 0x0112 {
			if v := int(order.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright for an EXIF orientation.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	swap := o >= 5
	ow, oh := w, h
	if swap {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			out.SetRGBA(dx, dy, img.RGBAAt(x, y))
		}
	}
	return out
}
