package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
)

// Files through several nodes on one PostgreSQL: a file uploaded through
// node A downloads byte for byte through node B, and a resumable upload
// begun on A finishes on B (the client's next request reached another
// node) and downloads through A.
func TestNodesShareFiles(t *testing.T) {
	ns := startNATS(t, 0)
	urls := startNodes(t, 2, ns.ClientURL())
	ctx := context.Background()
	onA, onB := landlordOn(t, urls[0]), landlordOn(t, urls[1])

	data := randomBytes(3<<20 + 12345)
	f, err := onA.UploadFile(ctx, "lease.pdf", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if name, _, err := onB.DownloadFile(ctx, f.ID, &got); err != nil || name != "lease.pdf" {
		t.Fatalf("download on B: %q, %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("B served %d bytes, not the %d uploaded through A", got.Len(), len(data))
	}

	sum := sha256.Sum256(data)
	up, err := onA.BeginUpload(ctx, backend.NewUpload{Name: "photos.zip", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	half := int64(len(data) / 2)
	if up, err = onA.AppendUpload(ctx, up.ID, 0, bytes.NewReader(data[:half])); err != nil || up.Offset != half {
		t.Fatalf("first half on A: %+v, %v", up, err)
	}
	held, err := onB.UploadStatus(ctx, up.ID)
	if err != nil || held.Offset != half {
		t.Fatalf("B holds %+v, %v; want offset %d", held, err, half)
	}
	done, err := onB.AppendUpload(ctx, up.ID, held.Offset, bytes.NewReader(data[half:]))
	if err != nil || done.File == nil {
		t.Fatalf("second half on B: %+v, %v", done, err)
	}
	got.Reset()
	if _, _, err := onA.DownloadFile(ctx, done.File.ID, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("the resumed upload through A: %d bytes, %v", got.Len(), err)
	}
}

// TestFileThroughput measures uploads and downloads through one node on
// PostgreSQL (files in the database) and one on SQLite (files on disk), in
// the same run, and logs MB/s; it checks only that every byte came back.
// go test -run TestFileThroughput -v shows the figures.
func TestFileThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("measures throughput")
	}
	ns := startNATS(t, 0)
	pgURL := startNodes(t, 1, ns.ClientURL())[0]
	sqliteURL, _, _ := startServe(t, filepath.Join(t.TempDir(), "sqlite"), "-demo")
	data := randomBytes(20 << 20)
	const rounds = 3
	for _, c := range []struct {
		name string
		c    *client.Client
	}{{"PostgreSQL", landlordOn(t, pgURL)}, {"disk (SQLite node)", landlordOn(t, sqliteURL)}} {
		ctx := context.Background()
		var up, down time.Duration
		for range rounds {
			start := time.Now()
			f, err := c.c.UploadFile(ctx, "big.bin", bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			up += time.Since(start)
			var got bytes.Buffer
			start = time.Now()
			if _, _, err := c.c.DownloadFile(ctx, f.ID, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("%s: download: %d bytes, %v", c.name, got.Len(), err)
			}
			down += time.Since(start)
		}
		mb := float64(rounds*len(data)) / (1 << 20)
		t.Logf("%s: upload %.0f MB/s, download %.0f MB/s (%d × %d MB)", c.name, mb/up.Seconds(), mb/down.Seconds(), rounds, len(data)>>20)
	}
}
