package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"
)

// TestWindowIconIsTheAppIconMadeSmall: the embedded window icon is small
// enough to set up quickly (see icon) and still the app icon: the same
// colours on average as build/appicon.png, which a new app icon without a
// new window icon would not have.
func TestWindowIconIsTheAppIconMadeSmall(t *testing.T) {
	small, err := png.Decode(bytes.NewReader(icon))
	if err != nil {
		t.Fatal(err)
	}
	if b := small.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("the window icon is %d×%d pixels, want 256×256", b.Dx(), b.Dy())
	}
	if _, wide := small.(*image.NRGBA64); wide {
		t.Error("the window icon has 16 bits a channel, want 8")
	}
	f, err := os.Open("build/appicon.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	app, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want, got := meanColour(app), meanColour(small)
	for i := range want {
		if d := got[i] - want[i]; d > 0.02 || d < -0.02 {
			t.Fatalf("mean colour (RGBA, 0–1): window icon %.3f, app icon %.3f", got, want)
		}
	}
}

// meanColour is the image's average premultiplied red, green, blue and
// alpha, each from 0 to 1.
func meanColour(m image.Image) [4]float64 {
	var sum [4]float64
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := m.At(x, y).RGBA()
			sum[0] += float64(r)
			sum[1] += float64(g)
			sum[2] += float64(bl)
			sum[3] += float64(a)
		}
	}
	n := float64(b.Dx()*b.Dy()) * 0xffff
	return [4]float64{sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n}
}
