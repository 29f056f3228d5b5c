// Package portal holds the tenant portal's page: one HTML document, its
// script and its styles, served by the HTTP API under /portal/. The page
// talks to the same API as the desktop app, signed in with the session
// cookie a portal link sets, and renders everything it receives as text.
//
// The script is native ES modules with no build step: index.html loads
// assets/main.js, which imports its siblings by relative path (the asset
// route is flat). Each module is `// @ts-check` JavaScript, type-checked by
// `tsc -p backend/portal/jsconfig.json`; their Vitest tests live in test/,
// outside assets/, so they are neither embedded nor served.
package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"sync"
)

// Assets holds index.html and what it loads (the modules, portal.css and its
// palette.css, icon.svg), and what installs the portal as an app (the web
// app manifest and the icons in icons/, made from icon.svg by make-icons.sh).
//
//go:embed assets
var Assets embed.FS

// The service worker lives beside assets/, not in it: served as
// /portal/sw.js, its scope is the whole portal by default.
//
//go:embed sw.js
var serviceWorker []byte

// buildMarker is the placeholder in sw.js the build replaces.
const buildMarker = "__PORTAL_BUILD__"

// Build names this version of the portal's files: a digest of every file
// the server embeds for it. It changes with any of them, so a browser's
// service worker replaces a shell kept from an older server.
var Build = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(Assets, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(Assets, name)
		if err != nil {
			return err
		}
		// Name and length first, so moving bytes between files changes the digest.
		h.Write([]byte(name + "\x00"))
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(body))))
		h.Write(body)
		return nil
	})
	h.Write(serviceWorker)
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// ServiceWorker returns the service worker's script with this build in it.
var ServiceWorker = sync.OnceValue(func() []byte {
	return bytes.Replace(serviceWorker, []byte(buildMarker), []byte(Build()), 1)
})
