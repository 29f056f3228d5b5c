package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/app/cache"
	"doorstep/backend"
)

// TestCacheOnAFullDisk: the cache on a disk that fills up refuses a write
// with an error the UI gets as unavailable, with a sentence about this
// computer's disk and neither the path nor the driver's text; the cache
// still reads what it holds.
func TestCacheOnAFullDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root on Linux): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	ctx := context.Background()
	cc, err := cache.Open(ctx, filepath.Join(dir, "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	kept := backend.Message{ID: 1, ConversationID: 5, Seq: 1, Sender: backend.Sender{Kind: backend.KindTenant, ID: 7, Name: "Alice"}, Text: "kept", Key: "kept-0001"}
	if err := cc.PutMessages(ctx, []backend.Message{kept}); err != nil {
		t.Fatal(err)
	}
	// Fill the disk.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := filler.Write(make([]byte, 64<<10)); err == nil; _, err = filler.Write(make([]byte, 4<<10)) {
	}
	filler.Close()

	big := kept
	big.ID, big.Seq, big.Key, big.Text = 2, 2, "big-00001", strings.Repeat("the boiler again ", 20000)
	err = cc.PutMessages(ctx, []backend.Message{big})
	if err == nil {
		t.Fatal("a 340 KB message was kept on a full disk")
	}
	var log bytes.Buffer
	p := Describe(logTo(&log), err)
	want := Problem{Code: backend.EUNAVAILABLE, Message: "This computer's disk is full, so Doorstep could not do this. Free some space and try again.", RetryAfter: 30}
	if p != want {
		t.Errorf("a full disk under the cache: %+v, want %+v (error %v)", p, want, err)
	}
	if !strings.Contains(log.String(), "full") {
		t.Errorf("the log does not say what happened: %s", log.String())
	}
	if msgs, err := cc.Messages(ctx, 5, 0, 10); err != nil || len(msgs) != 1 || msgs[0].Text != "kept" {
		t.Errorf("after the refused write: %+v, %v", msgs, err)
	}
}
