// Package attach is the file work behind attaching files to a message,
// before the sync engine uploads them: checking a local file (there,
// readable, not empty, within the server's limit; its type sniffed from its
// bytes), keeping the app's own copies of bytes the page hands over (pasted
// images, files dropped where the page receives them), and data: URLs of
// images for thumbnails. It never sees the page: paths come from the native
// dialog or a drop on the window. Refusals are *backend.Error with a
// sentence for the landlord; failures to write are returned as they are, for
// the caller to explain.
package attach

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"doorstep/backend"
)

// Info is what Check learned about a local file.
type Info struct {
	Size        int64
	ContentType string // sniffed from the first bytes, never taken from the name
}

// sniffLen is how many bytes http.DetectContentType looks at.
const sniffLen = 512

// Check makes sure the file at path, shown to the landlord as name, can be
// sent: a regular, readable, non-empty file of at most maxBytes.
func Check(path, name string, maxBytes int64) (Info, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Info{}, backend.Errorf(backend.EINVALID, "%s is no longer there.", name)
	case errors.Is(err, fs.ErrPermission):
		return Info{}, backend.Errorf(backend.EINVALID, "Doorstep is not allowed to read %s.", name)
	case err != nil || !fi.Mode().IsRegular():
		return Info{}, backend.Errorf(backend.EINVALID, "%s is not a file Doorstep can read.", name)
	case fi.Size() == 0:
		return Info{}, backend.Errorf(backend.EINVALID, "%s is empty.", name)
	case fi.Size() > maxBytes:
		return Info{}, backend.Errorf(backend.ETOOLARGE, "%s is %s MB; files can be at most %s MB.", name, Megabytes(fi.Size()), Megabytes(maxBytes))
	}
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrPermission) {
		return Info{}, backend.Errorf(backend.EINVALID, "Doorstep is not allowed to read %s.", name)
	} else if err != nil {
		return Info{}, backend.Errorf(backend.EINVALID, "%s cannot be read.", name)
	}
	defer fh.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Info{}, backend.Errorf(backend.EINVALID, "%s cannot be read.", name)
	}
	return Info{Size: fi.Size(), ContentType: http.DetectContentType(head[:n])}, nil
}

// Megabytes says a size in MB to a tenth, rounded up so that a file over a
// limit never reads as the limit itself: "25", "1.5", "25.1".
func Megabytes(n int64) string {
	tenths := (n*10 + 1<<20 - 1) >> 20
	if tenths%10 == 0 {
		return strconv.FormatInt(tenths/10, 10)
	}
	return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10)
}

// pastedTypes are the images that may be pasted into the compose box, with
// the extension a nameless paste gets.
var pastedTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

// FromPage decodes a file the page handed over as base64 (an image pasted
// into the compose box when imagesOnly, else a file dropped where the page
// receives it) and returns its bytes and the name to show: name, or "Pasted
// image" with the image's extension when the page gave none. Files over
// maxBytes, anything that is not base64, empty files and, when imagesOnly,
// anything but an image the webview shows are refused.
func FromPage(name, data string, imagesOnly bool, maxBytes int64) (body []byte, shown string, err error) {
	if int64(len(data)) > maxBytes/3*4+4 {
		return nil, "", backend.Errorf(backend.ETOOLARGE, "Files can be at most %s MB.", Megabytes(maxBytes))
	}
	body, err = base64.StdEncoding.DecodeString(data)
	if err != nil || len(body) == 0 {
		return nil, "", backend.Errorf(backend.EINVALID, "The file could not be read.")
	}
	ext, isImage := pastedTypes[http.DetectContentType(body)]
	if imagesOnly && !isImage {
		return nil, "", backend.Errorf(backend.EINVALID, "Only images can be pasted; attach other files with the paper-clip.")
	}
	if strings.TrimSpace(name) == "" {
		name = "Pasted image" + ext
	}
	return body, name, nil
}

// Incoming is the folder, in the app's data directory, of the app's own
// copies of files handed over as bytes, kept until their message is sent
// (the sync engine deletes them then) or they are removed from the draft.
type Incoming string

// IncomingDir is the Incoming folder of the app's data directory.
func IncomingDir(dataDir string) Incoming { return Incoming(filepath.Join(dataDir, "incoming")) }

// Keep writes body to a new file of its own in the folder and returns its
// path. Nothing is left behind when it fails.
func (in Incoming) Keep(body []byte) (string, error) {
	if err := os.MkdirAll(string(in), 0o700); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	rand.Read(b)
	path := filepath.Join(string(in), hex.EncodeToString(b))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

// Owns reports whether path is one of the folder's copies (never one of
// the landlord's own files).
func (in Incoming) Owns(path string) bool {
	return filepath.Dir(filepath.Clean(path)) == filepath.Clean(string(in))
}

// Discard deletes path if it is one of the folder's copies; the landlord's
// own files are never touched.
func (in Incoming) Discard(path string) {
	if in.Owns(path) {
		os.Remove(path)
	}
}

// MaxThumbnailBytes bounds the images shown inline in a thread.
const MaxThumbnailBytes = 10 << 20

// thumbnailTypes are the image types the webview shows; anything else (a
// phone's HEIC photo, say) is shown as a file card instead of a broken image.
var thumbnailTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Showable reports whether a file of this type and size can be shown as an
// image: a type the webview shows, small enough to show inline.
func Showable(contentType string, size int64) bool {
	return thumbnailTypes[contentType] && size <= MaxThumbnailBytes
}

// ImageDataURL reads an image the webview can show as a data: URL, or
// returns "" when it cannot be shown: not Showable, gone or unreadable, or
// its bytes are not of that type (they decide, not a label). The file then
// shows as a card.
func ImageDataURL(path, contentType string, size int64) string {
	if !Showable(contentType, size) {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) > MaxThumbnailBytes || http.DetectContentType(data) != contentType {
		return ""
	}
	return "data:" + contentType + ";base64," + base64.StdEncoding.EncodeToString(data)
}
