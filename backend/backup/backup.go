// Package backup is the shape of a doorstep-server backup on disk: a
// directory laid out like a data directory (the database copy, the stored
// files it refers to under files/, the server's signing key) plus
// manifest.json, which lists every
// other file with its size and SHA-256, the schema and server versions and
// the time. It writes a backup under a temporary name and renames it into
// place only once complete, checks one against its manifest, and unpacks
// one into a new data directory the same careful way. It knows neither
// SQLite nor the file store: the command puts those together.
package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The names inside a backup (and, but for the manifest, inside a data
// directory).
const (
	ManifestName = "manifest.json"
	DatabaseName = "doorstep.db"
	FilesDir     = "files"
)

// Format is the version of the manifest's layout this program writes and
// reads.
const Format = 1

// Manifest describes a backup.
type Manifest struct {
	Format        int       `json:"format"`
	Created       time.Time `json:"created"`
	ServerVersion string    `json:"server_version"` // the doorstep-server that made it
	SchemaVersion int       `json:"schema_version"` // the database copy's
	Files         []Entry   `json:"files"`          // every file but the manifest, sorted by path
}

// Entry is one file of a backup.
type Entry struct {
	Path   string `json:"path"` // relative to the backup, with forward slashes
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// incompleteMark starts the name of a backup (or a restore) being written,
// beside where it will be: a reader can tell it is unfinished.
const incompleteMark = ".incomplete-"

// EmptyOrAbsent reports whether dir does not exist or is an empty
// directory: the only places a backup or a restore goes, so neither ever
// overwrites or mixes with anything.
func EmptyOrAbsent(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}

// Draft is a backup being written: under a temporary name beside its
// destination, until Commit.
type Draft struct {
	dest string
	dir  string
	done []Entry
}

// Create starts a backup that will be at dest, which must not exist or be
// an empty directory (else nothing is written).
func Create(dest string) (*Draft, error) {
	dir, err := startBeside(dest, "a backup goes into a new or empty directory")
	if err != nil {
		return nil, err
	}
	return &Draft{dest: dest, dir: dir}, nil
}

// startBeside checks that dest is new or empty and makes the temporary
// directory beside it that will become it.
func startBeside(dest, rule string) (string, error) {
	empty, err := EmptyOrAbsent(dest)
	if err != nil {
		return "", err
	}
	if !empty {
		return "", fmt.Errorf("%s is not empty: %s; nothing was written", dest, rule)
	}
	dest = filepath.Clean(dest)
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+incompleteMark)
	if err != nil {
		return "", err
	}
	return dir, nil
}

// Path is where to write the file rel (slash-separated) of the backup, for
// a writer that makes the file itself (the database's copy); Add records
// it afterwards. Its directory exists.
func (d *Draft) Path(rel string) (string, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(rel))
	return p, os.MkdirAll(filepath.Dir(p), 0o700)
}

// Add records the file written at Path(rel): it is synced, measured and
// hashed.
func (d *Draft) Add(rel string) (Entry, error) {
	f, err := os.Open(filepath.Join(d.dir, filepath.FromSlash(rel)))
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return Entry{}, err
	}
	e := Entry{Path: rel}
	h := sha256.New()
	if e.Size, err = io.Copy(h, f); err != nil {
		return Entry{}, fmt.Errorf("%s: %w", rel, err)
	}
	e.SHA256 = hex.EncodeToString(h.Sum(nil))
	d.done = append(d.done, e)
	return e, nil
}

// Copy writes what r holds as the file rel of the backup, synced, and
// records it with its size and SHA-256, measured on the way.
func (d *Draft) Copy(rel string, r io.Reader) (Entry, error) {
	p, err := d.Path(rel)
	if err != nil {
		return Entry{}, err
	}
	e, err := writeFile(p, r)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", rel, err)
	}
	e.Path = rel
	d.done = append(d.done, e)
	return e, nil
}

// Commit completes the backup: it writes the manifest (m with every file
// recorded), syncs it and the directories, and renames the backup into
// place. Until that rename nothing is at the destination.
func (d *Draft) Commit(m Manifest) (Manifest, error) {
	m.Format = Format
	m.Files = slices.SortedFunc(slices.Values(d.done), func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if _, err := writeFile(filepath.Join(d.dir, ManifestName), strings.NewReader(string(body)+"\n")); err != nil {
		return m, err
	}
	if err := syncTree(d.dir); err != nil {
		return m, err
	}
	return m, moveInto(d.dir, d.dest)
}

// Abort removes what was written; the destination is as it was.
func (d *Draft) Abort() { os.RemoveAll(d.dir) }

// moveInto renames the finished directory dir to dest (replacing dest when
// it is an empty directory) and syncs their parent, so the rename itself
// survives a crash.
func moveInto(dir, dest string) error {
	if empty, err := EmptyOrAbsent(dest); err != nil {
		return err
	} else if !empty {
		return fmt.Errorf("%s is no longer empty: something else wrote there meanwhile; %s is left as it was", dest, dir)
	}
	if err := os.Remove(dest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(dir, dest); err != nil {
		return err
	}
	syncDir(filepath.Dir(filepath.Clean(dest)))
	return nil
}

// writeFile creates path with what r holds, synced, and returns its size
// and SHA-256.
func writeFile(path string, r io.Reader) (Entry, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Entry{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// syncTree syncs every directory under root (root included), so the
// entries of the files written there are durable too.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			syncDir(p)
		}
		return nil
	})
}

// syncDir makes the entries of dir durable; where a directory cannot be
// synced (Windows) there is nothing more to do.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Read reads the manifest of the backup in dir and checks that its paths
// stay inside the backup.
func Read(dir string) (Manifest, error) {
	var m Manifest
	body, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s has no %s: it is not a doorstep-server backup, or one that never finished", dir, ManifestName)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("%s: %s cannot be read: %v", dir, ManifestName, err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("%s: manifest format %d; this doorstep-server reads format %d (the backup was made by doorstep-server %s)", dir, m.Format, Format, m.ServerVersion)
	}
	for _, e := range m.Files {
		if !validPath(e.Path) {
			return m, fmt.Errorf("%s: %s lists %q, which is not a path inside the backup", dir, ManifestName, e.Path)
		}
	}
	return m, nil
}

// validPath accepts a clean, relative, slash-separated path inside the
// backup, never the manifest itself: a manifest is read from a backup that
// may come from anywhere, and its paths are written to on restore.
func validPath(p string) bool {
	return p != "" && p != ManifestName && path.Clean(p) == p && filepath.IsLocal(filepath.FromSlash(p)) &&
		!strings.Contains(p, `\`)
}

// Check compares the backup in dir with its manifest and returns the
// manifest and what is wrong, one sentence each: files missing, of another
// size or checksum, and files the manifest does not list. An error means
// the manifest itself could not be read.
func Check(dir string) (Manifest, []string, error) {
	m, err := Read(dir)
	if err != nil {
		return m, nil, err
	}
	var problems []string
	listed := map[string]bool{ManifestName: true}
	for _, e := range m.Files {
		listed[e.Path] = true
		if p := checkEntry(dir, e); p != "" {
			problems = append(problems, p)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
		case !d.Type().IsRegular():
			problems = append(problems, fmt.Sprintf("%s: not a regular file, and not in the manifest", rel))
		case !listed[rel]:
			problems = append(problems, fmt.Sprintf("%s: an extra file the manifest does not list", rel))
		}
		return nil
	})
	return m, problems, err
}

// checkEntry says what is wrong with one file of a backup, or "".
func checkEntry(dir string, e Entry) string {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.Path)))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("%s: missing", e.Path)
	}
	if err != nil {
		return fmt.Sprintf("%s: cannot be read: %v", e.Path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	switch {
	case err != nil:
		return fmt.Sprintf("%s: cannot be read: %v", e.Path, err)
	case n != e.Size:
		return fmt.Sprintf("%s: %d bytes, the manifest says %d", e.Path, n, e.Size)
	case hex.EncodeToString(h.Sum(nil)) != e.SHA256:
		return fmt.Sprintf("%s: its content differs from the manifest's checksum", e.Path)
	}
	return ""
}

// Unpack copies every file of the backup in src that m lists into dest, a
// new or empty directory, checking each against m on the way (a backup
// changed after it was checked is caught, not restored). It writes under a
// temporary name beside dest and renames it into place at the end, so a
// restore that fails leaves dest as it was. finish, when not nil, runs on
// the temporary directory once every file is there, before the rename.
func Unpack(src string, m Manifest, dest string, finish func(dir string) error) error {
	dir, err := startBeside(dest, "a restore goes into a new or empty data directory")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(dir)
		}
	}()
	for _, e := range m.Files {
		if !validPath(e.Path) {
			return fmt.Errorf("the manifest lists %q, which is not a path inside the backup", e.Path)
		}
		if err := unpackOne(src, dir, e); err != nil {
			return err
		}
	}
	if finish != nil {
		if err := finish(dir); err != nil {
			return err
		}
	}
	if err := syncTree(dir); err != nil {
		return err
	}
	if err := moveInto(dir, dest); err != nil {
		return err
	}
	done = true
	return nil
}

// unpackOne copies one file of a backup, checking its size and checksum.
func unpackOne(src, dir string, e Entry) error {
	in, err := os.Open(filepath.Join(src, filepath.FromSlash(e.Path)))
	if err != nil {
		return err
	}
	defer in.Close()
	p := filepath.Join(dir, filepath.FromSlash(e.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	got, err := writeFile(p, in)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Path, err)
	}
	if got.Size != e.Size || got.SHA256 != e.SHA256 {
		return fmt.Errorf("%s changed since the backup was checked; nothing was restored", e.Path)
	}
	return nil
}
