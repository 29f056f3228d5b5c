package evidence

import (
	"archive/zip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"doorstep/backend"
)

// source is an export as a check reads it: a folder or a zip. It lists
// every file by its slash-separated path from the export's root and opens
// them, and nothing outside the export: a name that could point outside
// (an absolute path, "..", a link) is listed with its problem and never
// opened.
type source interface {
	list() []entry
	open(path string) (io.ReadCloser, error)
	Close() error
}

type entry struct {
	path    string
	size    int64
	problem string // a sentence when the entry must not be read
}

// openSource opens the export at p: a folder, a .zip, or a folder's
// manifest.json.
func openSource(p string) (source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "There is no export there: the folder or file is gone.")
	}
	if !fi.IsDir() && filepath.Base(p) == ManifestName {
		p, fi = filepath.Dir(p), nil
	}
	if fi == nil || fi.IsDir() {
		return openDir(p)
	}
	zr, err := zip.OpenReader(p)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, backend.Errorf(backend.EINVALID, notAnExport)
	}
	return newZipSource(zr)
}

// safePath reports whether a slash-separated path stays inside the
// export on every system: no "..", no absolute path, no drive, no
// backslash.
func safePath(p string) bool {
	return p != "" && fs.ValidPath(p) && p != "." && !strings.ContainsAny(p, `\:`)
}

// osFile reports whether a file is one an operating system leaves when a
// folder is opened or zipped (Finder, Explorer), which is not a change.
func osFile(p string) bool {
	base := path.Base(p)
	return base == ".DS_Store" || strings.EqualFold(base, "Thumbs.db") || strings.EqualFold(base, "desktop.ini") ||
		strings.HasPrefix(p, "__MACOSX/")
}

type dirSource struct {
	root    *os.Root
	entries []entry
	ok      map[string]bool // the entries that may be opened
}

func openDir(dir string) (source, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "That folder cannot be opened.")
	}
	s := &dirSource{root: root, ok: map[string]bool{}}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			s.entries = append(s.entries, entry{path: p, problem: fileDamaged})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case p == "." || d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0 || !d.Type().IsRegular():
			s.entries = append(s.entries, entry{path: p, problem: fileIsLink})
		default:
			info, err := d.Info()
			if err != nil {
				s.entries = append(s.entries, entry{path: p, problem: fileDamaged})
				return nil
			}
			e := entry{path: p, size: info.Size()}
			if e.size > maxEntryBytes {
				e.problem = fileTooLarge
			}
			s.entries = append(s.entries, e)
			s.ok[p] = e.problem == ""
		}
		if len(s.entries) > maxEntries {
			return errTooLarge
		}
		return nil
	})
	if err != nil {
		root.Close()
		return nil, backend.Errorf(backend.ETOOLARGE, tooManyFiles)
	}
	return s, nil
}

func (s *dirSource) list() []entry { return s.entries }

func (s *dirSource) open(p string) (io.ReadCloser, error) {
	if !s.ok[p] {
		return nil, fs.ErrNotExist
	}
	// The root refuses a path that leads outside it, links included.
	return s.root.Open(filepath.FromSlash(p))
}

func (s *dirSource) Close() error { return s.root.Close() }

type zipSource struct {
	zr      *zip.ReadCloser
	entries []entry
	files   map[string]*zip.File
}

func newZipSource(zr *zip.ReadCloser) (source, error) {
	if len(zr.File) > maxEntries {
		zr.Close()
		return nil, backend.Errorf(backend.ETOOLARGE, tooManyFiles)
	}
	s := &zipSource{zr: zr, files: map[string]*zip.File{}}
	// A zip made of the export's folder, rather than by Doorstep, holds it
	// under one top folder: the export starts there.
	prefix := ""
	if !slices.ContainsFunc(zr.File, func(f *zip.File) bool { return f.Name == ManifestName }) {
		for _, f := range zr.File {
			if dir, rest, ok := strings.Cut(f.Name, "/"); ok && rest == ManifestName {
				prefix = dir + "/"
				break
			}
		}
	}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok && !osFile(f.Name) {
			name = f.Name
		}
		if strings.HasSuffix(name, "/") || name == "" {
			continue // a folder
		}
		e := entry{path: name, size: int64(f.UncompressedSize64)}
		switch {
		case !safePath(name):
			e.problem = fileUnsafeName
		case f.Mode()&fs.ModeSymlink != 0:
			e.problem = fileIsLink
		case f.UncompressedSize64 > maxEntryBytes:
			e.problem = fileTooLarge
		case s.files[name] != nil:
			e.problem = fileTwice
		default:
			s.files[name] = f
		}
		s.entries = append(s.entries, e)
	}
	return s, nil
}

func (s *zipSource) list() []entry { return s.entries }

func (s *zipSource) open(p string) (io.ReadCloser, error) {
	f := s.files[p]
	if f == nil {
		return nil, fs.ErrNotExist
	}
	// The reader stops with an error past the size the zip declares, and
	// at the end when the bytes do not match its checksum.
	return f.Open()
}

func (s *zipSource) Close() error { return s.zr.Close() }
