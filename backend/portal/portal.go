// Package portal holds the tenant portal's page: one HTML document, its
// script and its styles, served by the HTTP API under /portal/. The page
// talks to the same API as the desktop app, signed in with the session
// cookie a portal link sets, and renders everything it receives as text.
package portal

import "embed"

// Assets holds index.html and what it loads (portal.js, portal.css, icon.svg).
//
//go:embed assets
var Assets embed.FS
