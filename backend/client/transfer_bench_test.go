package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/servertest"
)

// BenchmarkTransfer20MB uploads (in one request, and resumably in 4 MB
// chunks as the desktop app does) and downloads a 20 MB file through the Go
// client, and moves the same file to and from the same server with curl in
// the same run; reports MB/s for both and the ratios (client / curl).
func BenchmarkTransfer20MB(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl is not installed")
	}
	s := servertest.StartDemo(b)
	c, _ := s.Landlord(b)
	ctx := context.Background()
	data := make([]byte, 20<<20)
	rand.Read(data)
	path := filepath.Join(b.TempDir(), "big.bin")
	os.WriteFile(path, data, 0o600)
	mb := float64(len(data)) / (1 << 20)

	var up, resumable, down, curlUp, curlDown time.Duration
	for range b.N {
		// As the desktop app sends files: hash, announce, then 4 MB chunks.
		t0r := time.Now()
		sum := sha256.Sum256(data)
		u, err := c.BeginUpload(ctx, backend.NewUpload{Name: "big.bin", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.ContinueUpload(ctx, u.ID, bytes.NewReader(data), nil); err != nil {
			b.Fatal(err)
		}
		resumable += time.Since(t0r)

		t0 := time.Now()
		f, err := c.UploadFile(ctx, "big.bin", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		up += time.Since(t0)

		t0 = time.Now()
		if _, _, err := c.DownloadFile(ctx, f.ID, io.Discard); err != nil {
			b.Fatal(err)
		}
		down += time.Since(t0)

		t0 = time.Now()
		out, err := exec.Command(curl, "-sS", "-f", "-o", "/dev/null", "-H", "Authorization: Bearer "+c.Token(),
			"-F", "file=@"+path, s.URL+"/api/v1/files").CombinedOutput()
		if err != nil {
			b.Fatalf("curl upload: %v %s", err, out)
		}
		curlUp += time.Since(t0)

		t0 = time.Now()
		out, err = exec.Command(curl, "-sS", "-f", "-o", "/dev/null", "-H", "Authorization: Bearer "+c.Token(),
			fmt.Sprintf("%s/api/v1/files/%d", s.URL, f.ID)).CombinedOutput()
		if err != nil {
			b.Fatalf("curl download: %v %s", err, out)
		}
		curlDown += time.Since(t0)
	}
	n := float64(b.N)
	rate := func(d time.Duration) float64 { return mb * n / d.Seconds() }
	b.ReportMetric(rate(up), "upload-MB/s")
	b.ReportMetric(rate(curlUp), "curl-upload-MB/s")
	b.ReportMetric(rate(up)/rate(curlUp), "upload-x-curl")
	b.ReportMetric(rate(resumable), "resumable-upload-MB/s")
	b.ReportMetric(rate(resumable)/rate(curlUp), "resumable-upload-x-curl")
	b.ReportMetric(rate(down), "download-MB/s")
	b.ReportMetric(rate(curlDown), "curl-download-MB/s")
	b.ReportMetric(rate(down)/rate(curlDown), "download-x-curl")
}
