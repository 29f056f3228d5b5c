package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// conversation.html opens in any browser, offline, years from now: one
// file, its styles inside, images inline as data: URIs, other files linked
// to files/…. It runs nothing: no script, no event attribute, and a
// Content-Security-Policy that allows only its own style block (by hash)
// and data: images, so even a browser that found a way to run something
// would not. Every text from the history goes through html/template, and
// each message, name and title is isolated for direction (dir="auto",
// <bdi>), so nothing written can reorder what surrounds it.

// Inline images are bounded: each, and all of a document together.
const (
	maxInlineImage = 8 << 20
	maxInlineTotal = 48 << 20
)

// inlineTypes are the image types every browser shows; the bytes decide,
// not the name or the type the sender's device claimed.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

const htmlStyle = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d2230; background: #fff; margin: 0 auto; max-width: 860px; padding: 24px; }
h1 { font-size: 1.5rem; margin: 0 0 12px; }
h2 { font-size: 1.05rem; margin: 18px 0 6px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
dt { color: #5b6475; }
dd { margin: 0; overflow-wrap: anywhere; }
ul { margin: 0; padding-left: 18px; }
.mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 0.85em; overflow-wrap: anywhere; }
.notes { border: 1px solid #e5b64a; background: #fff8e6; padding: 8px 12px; margin-top: 14px; border-radius: 6px; }
header { border-bottom: 2px solid #1d2230; padding-bottom: 14px; margin-bottom: 10px; }
.msg { border-bottom: 1px solid #dde1e8; padding: 10px 0; }
.msg.tenant { padding-left: 0; }
.msg.landlord { padding-left: 28px; }
.meta { margin: 0 0 4px; color: #5b6475; font-size: 0.88rem; }
.meta .who { color: #1d2230; font-weight: 600; }
.seq { font-variant-numeric: tabular-nums; }
.urgent { color: #b3261e; }
.text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
figure { margin: 8px 0 0; }
figure img { display: block; max-width: 100%; max-height: 420px; border: 1px solid #dde1e8; }
figcaption { font-size: 0.85rem; color: #5b6475; }
.missing { color: #b3261e; }
footer { margin-top: 18px; color: #5b6475; font-size: 0.85rem; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .msg { break-inside: avoid; }
  header { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  figure img { max-height: 110mm; }
}
`

// htmlPolicy lets the page use its own style block and data: images, and
// nothing else.
var htmlPolicy = func() string {
	sum := sha256.Sum256([]byte(htmlStyle))
	return "default-src 'none'; img-src data:; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'"
}()

var htmlPage = template.Must(template.New("conversation.html").Funcs(template.FuncMap{
	"image": func(string) template.URL { return "" }, // replaced per document
	"href":  fileHref,
	"size":  Size,
	"lease": LeaseLine,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.D.Title}} — Doorstep export</title>
<style>{{.Style}}</style>
</head>
<body>
<header>
<h1><bdi>{{.D.Title}}</bdi></h1>
<dl>
<dt>Landlord</dt><dd><bdi>{{.D.Organisation}}</bdi></dd>
<dt>Exported by</dt><dd><bdi>{{.D.Exporter}}</bdi>, on {{.D.ExportedAt}}</dd>
{{- if .D.Place}}
<dt>Place</dt><dd><bdi>{{.D.Place}}</bdi></dd>
{{- end}}
<dt>Tenants</dt><dd>{{if .D.Tenants}}<ul>{{range .D.Tenants}}<li><bdi>{{.Name}}</bdi>{{range .Leases}}<br>Lease: <bdi>{{lease .}}</bdi>{{end}}</li>{{end}}</ul>{{else}}none recorded{{end}}</dd>
<dt>Times</dt><dd>shown in <bdi>{{.D.TimeZone}}</bdi>, with their offset from UTC</dd>
<dt>Server</dt><dd class="mono">{{.D.ServerID}}</dd>
<dt>Server key fingerprint</dt><dd class="mono" data-field="fingerprint">{{.D.Fingerprint}}</dd>
<dt>Chain head</dt><dd>message {{.D.HeadSeq}}: <span class="mono" data-field="head">{{.D.Head}}</span></dd>
<dt>Signature</dt><dd data-field="signature">{{.D.Signature}}</dd>
</dl>
{{- if .D.Notes}}
<section class="notes"><h2>Not in this export</h2><ul>{{range .D.Notes}}<li>{{.}}</li>{{end}}</ul></section>
{{- end}}
</header>
<main>
{{- range .D.Messages}}
<article class="msg {{if eq .Role "Tenant"}}tenant{{else}}landlord{{end}}" id="m{{.Seq}}">
<p class="meta"><span class="seq">#{{.Seq}}</span> · <time>{{.Time}}</time> · <bdi class="who">{{.Sender}}</bdi> ({{.Role}}){{if .Urgent}} · <strong class="urgent">Marked urgent</strong>{{end}}</p>
{{- if .Text}}
<p class="text" dir="auto">{{.Text}}</p>
{{- end}}
{{- range .Files}}
<figure>
{{- with image .Path}}<img src="{{.}}" alt="">{{end}}
<figcaption>{{if .Href}}<a href="{{href .Href}}"><bdi>{{.Name}}</bdi></a>{{else}}<bdi>{{.Name}}</bdi> <span class="missing">(not in this export)</span>{{end}} · {{size .Size}} · SHA-256 <span class="mono">{{.SHA256}}</span></figcaption>
</figure>
{{- end}}
</article>
{{- else}}
<p>No messages.</p>
{{- end}}
</main>
<footer>Exported with Doorstep {{.D.AppVersion}}. manifest.json holds the SHA-256 of this file and of every other; HOW-TO-VERIFY.txt says how to check them.</footer>
</body>
</html>
`))

// writeHTML writes d as conversation.html, reading the images it shows
// inline with open.
func writeHTML(w io.Writer, d *Document, open Opener) error {
	budget := int64(maxInlineTotal)
	page, err := htmlPage.Clone()
	if err != nil {
		return err
	}
	page.Funcs(template.FuncMap{
		"image": func(path string) template.URL { return inlineImage(open, path, &budget) },
	})
	return page.Execute(w, struct {
		D      *Document
		Policy string
		Style  template.CSS
	}{d, htmlPolicy, template.CSS(htmlStyle)})
}

// inlineImage is the file at path as a data: URI when its bytes are an
// image every browser shows and it fits the budget, else "".
func inlineImage(open Opener, path string, budget *int64) template.URL {
	if path == "" || open == nil {
		return ""
	}
	rc, err := open(path)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxInlineImage+1))
	if err != nil || len(b) > maxInlineImage || int64(len(b)) > *budget {
		return ""
	}
	kind := http.DetectContentType(b)
	if !inlineTypes[kind] {
		return ""
	}
	*budget -= int64(len(b))
	var uri bytes.Buffer
	uri.Grow(len(kind) + 13 + base64.StdEncoding.EncodedLen(len(b)))
	uri.WriteString("data:" + kind + ";base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &uri)
	enc.Write(b)
	enc.Close()
	// The type is one of inlineTypes and the rest is base64: nothing in it
	// can be anything but an image.
	return template.URL(uri.String())
}

// fileHref is a link to a file of the export from its document: each part
// of the path escaped, so a name can only ever be a name.
func fileHref(rel string) template.URL {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return template.URL(strings.Join(parts, "/"))
}
