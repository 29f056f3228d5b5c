package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/backend/servertest"
	"doorstep/internal/pdf"
)

// serverExport exports a demo conversation as the desktop app would, from
// what a real server gives: its messages with their hashes, a head it
// signs now, and its key.
func serverExport(t *testing.T) (dest string, key backend.ServerKey) {
	t.Helper()
	ctx := context.Background()
	s := servertest.StartDemo(t)
	landlord, me := s.Landlord(t)
	convs, err := landlord.Conversations(ctx)
	if err != nil || len(convs) == 0 {
		t.Fatalf("conversations: %v", err)
	}
	conv := convs[0]
	if _, err := landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: "export-test-1", Text: "The deposit inspection is on Monday."}); err != nil {
		t.Fatal(err)
	}
	msgs, err := landlord.Messages(ctx, conv.ID, backend.MessagePage{Limit: backend.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	head, err := landlord.ChainHead(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if key, err = landlord.ServerKey(ctx); err != nil {
		t.Fatal(err)
	}
	dest = filepath.Join(t.TempDir(), "export.zip")
	_, err = evidence.Write(dest, evidence.Input{Organisation: me.OrgName, Exporter: me.Name, ExportedAt: time.Now(),
		Server:        evidence.ServerFromKey(key.ServerID, key.PublicKey),
		Conversations: []evidence.Conversation{{Conversation: conv, Messages: msgs, Signed: &head, Signature: evidence.SignedNow}}}, pdf.Render)
	if err != nil {
		t.Fatal(err)
	}
	return dest, key
}

func TestVerifyExport(t *testing.T) {
	ctx := context.Background()
	dest, key := serverExport(t)
	verify := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"verify-export"}, args...), env(nil), &out, &errOut)
		return out.String(), err
	}
	out, err := verify("-fingerprint", strings.ToLower(key.Fingerprint), dest)
	if err != nil || !strings.HasPrefix(out, "Intact: ") || !strings.Contains(out, "signed by server "+key.Fingerprint) {
		t.Fatalf("intact export: %v\n%s", err, out)
	}

	out, err = verify("-fingerprint", "6668 7AAD F862 BD77 6C8F C18B 8E9F 8E20", dest)
	if err == nil || !strings.Contains(out, "not the one expected (6668 7AAD F862 BD77 6C8F C18B 8E9F 8E20)") {
		t.Errorf("another key expected: %v\n%s", err, out)
	}

	// One word of the last message changed in messages.json.
	tampered := filepath.Join(t.TempDir(), "tampered.zip")
	copyZip(t, dest, tampered, func(name string, b []byte) []byte {
		if name == evidence.MessagesName {
			return bytes.Replace(b, []byte("on Monday"), []byte("on Friday"), 1)
		}
		return b
	})
	out, err = verify(tampered)
	if err == nil || !strings.HasPrefix(out, "Not intact: ") || !strings.Contains(out, "  - Message ") ||
		!strings.Contains(out, backend.ChainChanged) || !strings.Contains(out, "  - messages.json: This file was changed after the export") {
		t.Errorf("tampered export: %v\n%s", err, out)
	}
	if _, err := verify(); err == nil || !strings.Contains(err.Error(), "usage: doorstep-server verify-export") {
		t.Errorf("no path: %v", err)
	}
	if _, err := verify(filepath.Join(t.TempDir(), "none.zip")); err == nil || !strings.Contains(err.Error(), "There is no export there") {
		t.Errorf("no export: %v", err)
	}
}

// copyZip copies a zip, each entry through edit.
func copyZip(t *testing.T, from, to string, edit func(string, []byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		w.Write(edit(f.Name, b))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
