package backup_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend/backup"
)

// makeBackup writes a small backup with a database stand-in and two
// stored files, and returns its directory.
func makeBackup(t *testing.T) string {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "backup")
	d, err := backup.Create(dest)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Path(backup.DatabaseName)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(db, []byte("database bytes"), 0o600)
	if _, err := d.Add(backup.DatabaseName); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bbb", "aaa"} {
		if _, err := d.Copy(backup.FilesDir+"/"+name, strings.NewReader("content of "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Commit(backup.Manifest{Created: time.Now().UTC(), ServerVersion: "1.2.3", SchemaVersion: 4}); err != nil {
		t.Fatal(err)
	}
	return dest
}

func TestBackupDirectory(t *testing.T) {
	t.Run("ManifestListsEveryFile", func(t *testing.T) {
		dest := makeBackup(t)
		m, problems, err := backup.Check(dest)
		if err != nil || len(problems) != 0 {
			t.Fatalf("a fresh backup: %q, %v", problems, err)
		}
		var paths []string
		for _, e := range m.Files {
			paths = append(paths, e.Path)
		}
		if want := []string{"doorstep.db", "files/aaa", "files/bbb"}; !slices.Equal(paths, want) {
			t.Errorf("manifest lists %q, want %q", paths, want)
		}
		if m.Files[1].Size != int64(len("content of aaa")) || len(m.Files[1].SHA256) != 64 {
			t.Errorf("entry = %+v", m.Files[1])
		}
		if m.ServerVersion != "1.2.3" || m.SchemaVersion != 4 || m.Format != backup.Format {
			t.Errorf("manifest = %+v", m)
		}
		// Nothing of the temporary name is left beside it.
		if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
			t.Errorf("beside the backup: %v", entries)
		}
	})

	for name, tc := range map[string]struct {
		damage func(dir string)
		want   string
	}{
		"ChangedByte": {func(dir string) {
			p := filepath.Join(dir, "files", "aaa")
			b, _ := os.ReadFile(p)
			b[3] ^= 1
			os.WriteFile(p, b, 0o600)
		}, "files/aaa: its content differs from the manifest's checksum"},
		"Truncated":   {func(dir string) { os.Truncate(filepath.Join(dir, "doorstep.db"), 3) }, "doorstep.db: 3 bytes, the manifest says 14"},
		"MissingFile": {func(dir string) { os.Remove(filepath.Join(dir, "files", "bbb")) }, "files/bbb: missing"},
		"ExtraFile": {func(dir string) { os.WriteFile(filepath.Join(dir, "files", "ccc"), []byte("x"), 0o600) },
			"files/ccc: an extra file the manifest does not list"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			dest := makeBackup(t)
			tc.damage(dest)
			_, problems, err := backup.Check(dest)
			if err != nil || !slices.Contains(problems, tc.want) {
				t.Errorf("problems = %q, %v; want %q", problems, err, tc.want)
			}
		})
	}

	t.Run("ErrNoManifest", func(t *testing.T) {
		dest := makeBackup(t)
		os.Remove(filepath.Join(dest, backup.ManifestName))
		if _, _, err := backup.Check(dest); err == nil || !strings.Contains(err.Error(), "not a doorstep-server backup") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("ErrManifestLeavesTheBackup", func(t *testing.T) {
		dest := makeBackup(t)
		m, _ := backup.Read(dest)
		m.Files[0].Path = "../outside"
		body, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dest, backup.ManifestName), body, 0o600)
		if _, err := backup.Read(dest); err == nil {
			t.Fatal("a manifest with a path out of the backup was accepted")
		}
		restored := filepath.Join(t.TempDir(), "data")
		if err := backup.Unpack(dest, m, restored, nil); err == nil {
			t.Error("Unpack followed a path out of the backup")
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(restored), "outside")); err == nil {
			t.Error("Unpack wrote outside its destination")
		}
	})

	t.Run("ErrDestinationNotEmpty", func(t *testing.T) {
		dest := t.TempDir()
		os.WriteFile(filepath.Join(dest, "notes.txt"), []byte("mine"), 0o600)
		if _, err := backup.Create(dest); err == nil || !strings.Contains(err.Error(), "is not empty") {
			t.Fatalf("err = %v", err)
		}
		entries, _ := os.ReadDir(dest)
		siblings, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 || len(siblings) != 1 {
			t.Errorf("something was written: %v beside %v", entries, siblings)
		}
	})

	t.Run("IntoAnEmptyDirectory", func(t *testing.T) {
		dest := t.TempDir()
		d, err := backup.Create(dest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Copy("files/x", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dest, "files")); err == nil {
			t.Error("a file is at the destination before the backup is complete")
		}
		if _, err := d.Commit(backup.Manifest{}); err != nil {
			t.Fatal(err)
		}
		if _, problems, err := backup.Check(dest); err != nil || len(problems) != 0 {
			t.Errorf("%q, %v", problems, err)
		}
	})

	t.Run("AbortLeavesNothing", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "backup")
		d, _ := backup.Create(dest)
		d.Copy("files/x", strings.NewReader("x"))
		d.Abort()
		if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 0 {
			t.Errorf("left behind: %v", entries)
		}
	})

	t.Run("Unpack", func(t *testing.T) {
		src := makeBackup(t)
		m, _ := backup.Read(src)
		dest := filepath.Join(t.TempDir(), "data")
		if err := backup.Unpack(src, m, dest, nil); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dest, "files", "bbb")); string(b) != "content of bbb" {
			t.Errorf("files/bbb = %q", b)
		}
		if _, err := os.Stat(filepath.Join(dest, backup.ManifestName)); err == nil {
			t.Error("the manifest was copied into the data directory")
		}
	})

	t.Run("ErrUnpackChangedFile", func(t *testing.T) {
		src := makeBackup(t)
		m, _ := backup.Read(src)
		os.WriteFile(filepath.Join(src, "files", "aaa"), []byte("content of AAA"), 0o600)
		dest := filepath.Join(t.TempDir(), "data")
		if err := backup.Unpack(src, m, dest, nil); err == nil {
			t.Fatal("a file changed after the check was restored")
		}
		if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 0 {
			t.Errorf("a failed restore left %v", entries)
		}
	})
}
