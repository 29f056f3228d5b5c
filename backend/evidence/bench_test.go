package evidence_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/internal/pdf"
)

// BenchmarkExport10000 exports a conversation of 10,000 messages with 100
// files (50 photos, 50 documents) as a .zip, and checks it, documents
// drawn again included; it reports the time of each and the size.
//
//	go test -tags sqlite_fts5 -run '^$' -bench Export10000 -benchtime 1x ./backend/evidence
func BenchmarkExport10000(b *testing.B) {
	f := newFixture(b)
	c := &f.in.Conversations[0]
	var files []backend.File
	for i := range 100 {
		if i%2 == 0 {
			files = append(files, f.sharedFile(b, fmt.Sprintf("photo-%03d.jpg", i), "image/jpeg", jpegImage(b, 1200, 900, uint8(i))))
			continue
		}
		doc := make([]byte, 200<<10)
		rand.Read(doc)
		files = append(files, f.sharedFile(b, fmt.Sprintf("document-%03d.pdf", i), "application/pdf", doc))
	}
	words := strings.Fields("the boiler in the kitchen makes a noise again and water drips under the sink since Monday morning please send someone")
	at := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	msgs := make([]backend.Message, 0, 10_000)
	for i := range 10_000 {
		from := maria
		if i%3 == 0 {
			from = landlord
		}
		n := 5 + i%25
		var text strings.Builder
		for w := range n {
			text.WriteString(words[(i+w)%len(words)] + " ")
		}
		m := backend.Message{ID: int64(i + 1), ConversationID: 12, Seq: int64(i + 1), Sender: from, Text: strings.TrimSpace(text.String()),
			CreatedAt: at.Add(time.Duration(i) * 47 * time.Minute)}
		if i%100 == 50 {
			m.Files = []backend.File{files[i/100]}
		}
		msgs = append(msgs, m)
	}
	c.Messages = chain(msgs)
	c.Signed = sign(f.key, 12, c.Messages, 10_000, exportedAt)
	c.Missing = nil

	var write, check time.Duration
	var size int64
	var sum evidence.Summary
	for range b.N {
		dest := filepath.Join(b.TempDir(), "big.zip")
		start := time.Now()
		var err error
		if sum, err = evidence.Write(dest, f.in, pdf.Render); err != nil {
			b.Fatal(err)
		}
		write += time.Since(start)
		fi, _ := os.Stat(dest)
		size = fi.Size()
		start = time.Now()
		r, err := evidence.Verifier{Trusted: f.pub, PDF: pdf.Render}.Verify(dest)
		if err != nil || !r.Intact {
			b.Fatalf("%v %s", err, r.Summary)
		}
		check += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(write.Seconds()/n, "s/export")
	b.ReportMetric(check.Seconds()/n, "s/verify")
	b.ReportMetric(float64(size)/(1<<20), "MB/zip")
	b.ReportMetric(float64(sum.Bytes)/(1<<20), "MB/unzipped")
}
