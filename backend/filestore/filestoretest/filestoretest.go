// Package filestoretest is the contract every file store keeps (the disk's
// and the database's): one suite, run against each by its own tests.
package filestoretest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/filestore"
)

// MaxSize is the upload limit the suite opens stores with.
const MaxSize = 2 << 20

// Open returns two file stores over the same storage, as two server nodes
// sharing it would have, each with the upload limit MaxSize.
type Open func(t *testing.T) (a, b filestore.Files)

// Run runs the contract against the stores open makes.
func Run(t *testing.T, open Open) {
	t.Run("SaveOnOneReadOnTheOther", func(t *testing.T) { testSave(t, open) })
	t.Run("ErrTooLarge", func(t *testing.T) { testTooLarge(t, open) })
	t.Run("ErrReceive", func(t *testing.T) { testReceive(t, open) })
	t.Run("ErrHostileNames", func(t *testing.T) { testNames(t, open) })
	t.Run("PartialResumesOnTheOther", func(t *testing.T) { testPartial(t, open) })
	t.Run("PartialKeepsWhatArrived", func(t *testing.T) { testCutOff(t, open) })
	t.Run("ErrPartialOverlongLeavesItAsItWas", func(t *testing.T) { testOverlong(t, open) })
	t.Run("ErrPartialChecksum", func(t *testing.T) { testChecksum(t, open) })
	t.Run("PrunePartials", func(t *testing.T) { testPrune(t, open) })
}

// payload is n random bytes starting with a PNG signature, so the sniffed
// type is known.
func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// readAll reads a stored file whole, and checks that a seek into its
// middle reads the rest (as a Range request does).
func readAll(t *testing.T, s filestore.Files, name string, want []byte) {
	t.Helper()
	f, err := s.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stored bytes differ: %d read, %d written", len(got), len(want))
	}
	mid := int64(len(want) / 3)
	if _, err := f.Seek(mid, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(rest, want[mid:]) {
		t.Fatalf("after a seek to %d: %d bytes, %v", mid, len(rest), err)
	}
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(want)) {
		t.Fatalf("seek to the end: %d, %v", end, err)
	}
}

func testSave(t *testing.T, open Open) {
	a, b := open(t)
	for _, n := range []int{0, 100, 256 << 10, 700_001} {
		data := payload(n)
		saved, err := a.Save(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		wantType := "image/png"
		if n == 0 {
			wantType = "text/plain; charset=utf-8"
		}
		if saved.Size != int64(n) || saved.SHA256 != hexSum(data) || saved.ContentType != wantType || !filestore.ValidName(saved.StorageName) {
			t.Errorf("%d bytes: saved = %+v", n, saved)
		}
		readAll(t, b, saved.StorageName, data)
	}
	saved, err := a.Save(bytes.NewReader(payload(10)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(saved.StorageName); err != nil {
		t.Fatal(err)
	}
	if f, err := a.Open(saved.StorageName); err == nil {
		f.Close()
		t.Error("a removed file still opens")
	}
}

func testTooLarge(t *testing.T, open Open) {
	a, _ := open(t)
	if a.MaxSize() != MaxSize {
		t.Fatalf("MaxSize = %d", a.MaxSize())
	}
	if _, err := a.Save(bytes.NewReader(make([]byte, MaxSize+1))); backend.ErrorCode(err) != backend.ETOOLARGE {
		t.Errorf("one byte over: %v", err)
	}
	if saved, err := a.Save(bytes.NewReader(make([]byte, MaxSize))); err != nil || saved.Size != MaxSize {
		t.Errorf("exactly the limit: %+v, %v", saved, err)
	}
	if _, err := a.BeginPartial("user:1:1", "big.bin", MaxSize+1, hexSum(nil)); backend.ErrorCode(err) != backend.ETOOLARGE {
		t.Errorf("announcing one byte over: %v", err)
	}
}

// failingReader gives data, then fails as a cut-off connection does.
func failingReader(data []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(data), iotestErr{})
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func testReceive(t *testing.T, open Open) {
	a, _ := open(t)
	_, err := a.Save(failingReader(payload(300_000)))
	if !errors.Is(err, filestore.ErrReceive) {
		t.Errorf("a body cut off: %v, want ErrReceive", err)
	}
}

func testNames(t *testing.T, open Open) {
	a, _ := open(t)
	for _, name := range []string{"../../etc/passwd", "", "ABCDEF0123456789abcdef0123456789", "0123456789abcdef0123456789abcde/", "write-probe", "' OR 1=1 --"} {
		if f, err := a.Open(name); err == nil {
			f.Close()
			t.Errorf("Open(%q) succeeded", name)
		}
		if _, err := a.Partial("user:1:1", name); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("Partial(%q): %v", name, err)
		}
		if _, _, _, err := a.Append("user:1:1", name, 0, bytes.NewReader([]byte("x"))); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("Append(%q): %v", name, err)
		}
	}
}

func testPartial(t *testing.T, open Open) {
	a, b := open(t)
	data := payload(900_001)
	p, err := a.BeginPartial("user:1:1", "../report.pdf", int64(len(data)), hexSum(data))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "report.pdf" || p.Offset != 0 || !filestore.ValidName(p.ID) {
		t.Errorf("begun: %+v", p)
	}
	// Pieces that do not line up with anything a store may cut them into.
	cuts := []int{0, 1000, 300_001, 512 << 10, 700_000, len(data)}
	stores := []filestore.Files{a, b, a, b, b}
	for i, s := range stores {
		held, err := s.Partial("user:1:1", p.ID)
		if err != nil || held.Offset != int64(cuts[i]) {
			t.Fatalf("before piece %d: %+v, %v", i, held, err)
		}
		if _, _, _, err := s.Append("user:1:1", p.ID, int64(cuts[i]+1), bytes.NewReader(data[cuts[i]:cuts[i+1]])); backend.ErrorCode(err) != backend.ECONFLICT {
			t.Fatalf("at the wrong offset: %v", err)
		}
		if _, err := s.Partial("user:2:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Fatalf("someone else's upload: %v", err)
		}
		got, saved, done, err := s.Append("user:1:1", p.ID, int64(cuts[i]), bytes.NewReader(data[cuts[i]:cuts[i+1]]))
		if err != nil || got.Offset != int64(cuts[i+1]) || done != (i == len(stores)-1) {
			t.Fatalf("piece %d: %+v %v %v", i, got, done, err)
		}
		if done {
			if saved.Size != int64(len(data)) || saved.SHA256 != hexSum(data) || saved.ContentType != "image/png" {
				t.Errorf("finished: %+v", saved)
			}
			readAll(t, a, saved.StorageName, data)
		}
	}
	if _, err := a.Partial("user:1:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Errorf("a finished upload is still under way: %v", err)
	}
}

func testCutOff(t *testing.T, open Open) {
	a, b := open(t)
	data := payload(600_000)
	p, err := a.BeginPartial("user:1:1", "a.bin", int64(len(data)), hexSum(data))
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := a.Append("user:1:1", p.ID, 0, failingReader(data[:333_333]))
	if !errors.Is(err, filestore.ErrReceive) || got.Offset != 333_333 {
		t.Fatalf("cut off: %+v, %v", got, err)
	}
	held, err := b.Partial("user:1:1", p.ID)
	if err != nil || held.Offset != 333_333 {
		t.Fatalf("held after the cut: %+v, %v", held, err)
	}
	_, saved, done, err := b.Append("user:1:1", p.ID, 333_333, bytes.NewReader(data[333_333:]))
	if err != nil || !done {
		t.Fatalf("the rest: %v %v", done, err)
	}
	readAll(t, a, saved.StorageName, data)
	if err := a.RemovePartial("user:1:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Errorf("removing a finished upload: %v", err)
	}
}

func testOverlong(t *testing.T, open Open) {
	a, b := open(t)
	data := payload(400_000)
	p, err := a.BeginPartial("user:1:1", "a.bin", int64(len(data)), hexSum(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Append("user:1:1", p.ID, 0, bytes.NewReader(data[:100_000])); err != nil {
		t.Fatal(err)
	}
	long := append(append([]byte{}, data[100_000:]...), "and more"...)
	if _, _, _, err := b.Append("user:1:1", p.ID, 100_000, bytes.NewReader(long)); backend.ErrorCode(err) != backend.ETOOLARGE {
		t.Fatalf("overlong: %v", err)
	}
	if held, err := a.Partial("user:1:1", p.ID); err != nil || held.Offset != 100_000 {
		t.Fatalf("after the overlong body: %+v, %v", held, err)
	}
	_, saved, done, err := a.Append("user:1:1", p.ID, 100_000, bytes.NewReader(data[100_000:]))
	if err != nil || !done {
		t.Fatalf("the right rest: %v %v", done, err)
	}
	readAll(t, b, saved.StorageName, data)
}

func testChecksum(t *testing.T, open Open) {
	a, b := open(t)
	data := payload(50_000)
	p, err := a.BeginPartial("user:1:1", "a.bin", int64(len(data)), hexSum([]byte("something else")))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.Append("user:1:1", p.ID, 0, bytes.NewReader(data)); !errors.Is(err, filestore.ErrChecksum) {
		t.Fatalf("a changed file: %v", err)
	}
	if _, err := a.Partial("user:1:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Errorf("a refused upload is still there: %v", err)
	}
}

func testPrune(t *testing.T, open Open) {
	a, b := open(t)
	data := payload(300_000)
	p, err := a.BeginPartial("user:1:1", "old.bin", int64(len(data)), hexSum(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Append("user:1:1", p.ID, 0, bytes.NewReader(data[:200_000])); err != nil {
		t.Fatal(err)
	}
	if n, err := b.PrunePartials(time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruned %d fresh uploads, %v", n, err)
	}
	if n, err := b.PrunePartials(time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if _, err := a.Partial("user:1:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Errorf("a pruned upload is still there: %v", err)
	}
}
