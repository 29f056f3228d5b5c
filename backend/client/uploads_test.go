package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"testing"

	"doorstep/backend"
)

// brokenReader gives n bytes of data, then fails as a dropped connection
// would.
type brokenReader struct {
	r io.Reader
}

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("network cable pulled")
	}
	return n, err
}

// countingSeeker counts the bytes read from it, to see what is sent again.
type countingSeeker struct {
	*bytes.Reader
	read  int64
	seeks []int64 // where each attempt started reading
}

func (c *countingSeeker) Seek(offset int64, whence int) (int64, error) {
	at, err := c.Reader.Seek(offset, whence)
	c.seeks = append(c.seeks, at)
	return at, err
}

func (c *countingSeeker) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.read += int64(n)
	return n, err
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestResumableUploads(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	data := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("the scanned lease, page after page\n"), 25_000)...) // ~900 KB
	size := int64(len(data))

	t.Run("CutOffMidwayGoesOnFromWhatTheServerHolds", func(t *testing.T) {
		up, err := w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "../scan\u202egnp.pdf", Size: size, SHA256: sum(data)})
		if err != nil || up.Offset != 0 || up.Size != size || up.ID == "" {
			t.Fatalf("begin = %+v, %v", up, err)
		}
		if up, err = w.landlord.AppendUpload(ctx, up.ID, 0, bytes.NewReader(data[:300_000])); err != nil || up.Offset != 300_000 || up.File != nil {
			t.Fatalf("first part = %+v, %v", up, err)
		}
		// The connection drops 200 KB into the next request.
		if _, err := w.landlord.AppendUpload(ctx, up.ID, 300_000, &brokenReader{bytes.NewReader(data[300_000:500_000])}); err == nil {
			t.Fatal("a broken request succeeded")
		}
		held, err := w.landlord.UploadStatus(ctx, up.ID)
		if err != nil || held.Offset < 300_000 || held.Offset > 500_000 {
			t.Fatalf("after the drop the server holds %+v, %v", held, err)
		}
		if _, err := w.landlord.AppendUpload(ctx, up.ID, 0, bytes.NewReader(data)); backend.ErrorCode(err) != backend.ECONFLICT {
			t.Errorf("bytes from the wrong offset: %v", err)
		}
		// Nobody else can see or continue it.
		for name, c := range map[string]interface {
			UploadStatus(context.Context, string) (backend.Upload, error)
		}{"OtherLandlord": w.other, "Tenant": w.asTenant("Alice")} {
			if _, err := c.UploadStatus(ctx, up.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("%s sees the upload: %v", name, err)
			}
		}

		src := &countingSeeker{Reader: bytes.NewReader(data)}
		var reported []int64
		f, err := w.landlord.ContinueUpload(ctx, up.ID, src, func(n int64) { reported = append(reported, n) })
		if err != nil {
			t.Fatal(err)
		}
		if f.SHA256 != sum(data) || f.Size != size || f.Name != "scangnp.pdf" || f.ContentType != "application/pdf" {
			t.Errorf("file = %+v", f)
		}
		// It went on from what the server held when asked (which may have
		// grown since: the server keeps reading what was already on its way).
		if len(reported) == 0 || reported[0] < held.Offset || reported[len(reported)-1] != size {
			t.Fatalf("progress = %v", reported)
		}
		// Only what the server lacked was read: no attempt started before
		// what it held. (A busy server may still be taking in the cut-off
		// request when asked; the client then asks again and goes on from
		// further, so the bytes read can exceed size-held by what such an
		// attempt read before it was refused.)
		if len(src.seeks) == 0 || slices.Min(src.seeks) < held.Offset {
			t.Errorf("attempts started at %v, before the %d bytes the server held", src.seeks, held.Offset)
		}
		if len(src.seeks) == 1 && src.read != size-reported[0] {
			t.Errorf("sent %d bytes in one go, want only the missing %d", src.read, size-reported[0])
		}
		var got bytes.Buffer
		if _, _, err := w.landlord.DownloadFile(ctx, f.ID, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Errorf("downloaded %d bytes, %v", got.Len(), err)
		}
		if _, err := w.landlord.UploadStatus(ctx, up.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("a finished upload is still open: %v", err)
		}
	})

	t.Run("ErrRefusedAtTheStart", func(t *testing.T) {
		for name, c := range map[string]struct {
			req  backend.NewUpload
			code string
		}{
			"ErrEmpty":       {backend.NewUpload{Name: "a", Size: 0, SHA256: sum(nil)}, backend.EINVALID},
			"ErrTooLarge":    {backend.NewUpload{Name: "a", Size: 1<<20 + 1, SHA256: sum(nil)}, backend.ETOOLARGE},
			"ErrBadChecksum": {backend.NewUpload{Name: "a", Size: 10, SHA256: "ABC"}, backend.EINVALID},
		} {
			if _, err := w.landlord.BeginUpload(ctx, c.req); backend.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
		ok := backend.NewUpload{Name: "a.txt", Size: 10, SHA256: sum([]byte("0123456789"))}
		if _, err := w.subUser.BeginUpload(ctx, ok); backend.ErrorCode(err) != backend.EMAINUSERONLY {
			t.Errorf("sub-user: %v", err)
		}
		if _, err := w.asTenant("Carol").BeginUpload(ctx, ok); backend.ErrorCode(err) != backend.ETENANTNOTACTIVE {
			t.Errorf("a tenant whose lease ended: %v", err)
		}
		if _, err := w.anon().BeginUpload(ctx, ok); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
			t.Errorf("signed out: %v", err)
		}
	})

	t.Run("ErrLongerThanAnnouncedKeepsNothingExtra", func(t *testing.T) {
		up, _ := w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "a.txt", Size: 10, SHA256: sum([]byte("0123456789"))})
		if _, err := w.landlord.AppendUpload(ctx, up.ID, 0, bytes.NewReader([]byte("0123456789 and more"))); backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("overlong: %v", err)
		}
		if held, _ := w.landlord.UploadStatus(ctx, up.ID); held.Offset != 0 {
			t.Errorf("the overlong bytes were kept: %+v", held)
		}
	})

	t.Run("ErrChangedFileIsRefusedAtTheEnd", func(t *testing.T) {
		up, _ := w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "a.txt", Size: 10, SHA256: sum([]byte("0123456789"))})
		if _, err := w.landlord.AppendUpload(ctx, up.ID, 0, bytes.NewReader([]byte("9876543210"))); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("other bytes than promised: %v", err)
		}
		if _, err := w.landlord.UploadStatus(ctx, up.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("a refused upload is kept: %v", err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		up, _ := w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "a.txt", Size: 10, SHA256: sum([]byte("0123456789"))})
		if err := w.other.CancelUpload(ctx, up.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("another landlord cancelled it: %v", err)
		}
		if err := w.landlord.CancelUpload(ctx, up.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.landlord.UploadStatus(ctx, up.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("a cancelled upload is kept: %v", err)
		}
	})
}
