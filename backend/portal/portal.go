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

import "embed"

// Assets holds index.html and what it loads (the modules, portal.css and its
// palette.css, icon.svg).
//
//go:embed assets
var Assets embed.FS
