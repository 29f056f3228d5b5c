package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"

	"doorstep/backend"
)

// A request whose line and headers are too large, or that is not HTTP at
// all, never reaches a handler: net/http answers it itself, in plain text,
// with one write straight to the connection, and hangs up. So that these
// answers speak the API's JSON error vocabulary too, the server's
// connections are wrapped, and exactly those canned answers are rewritten
// on their way out.
//
// Why not raise http.Server.MaxHeaderBytes and refuse in a middleware,
// where a JSON answer is ordinary? net/http reads every request's head
// into memory before any handler runs, so the limit a middleware enforces
// is paid for at the larger one: with a 1 MB guard for a 64 KB rule, each
// of a few thousand slow connections could hold 16 times what the rule
// allows, and past the guard the plain-text answer would still be there.
// Keeping net/http's own limit at the documented size stops reading at it.
//
// The rewrite relies on net/http's wording of these answers, which has not
// changed in years; TestHugeHeaderIsRefused and TestMalformedRequestIsAnswered
// notice if it does.

// maxRequestHead bounds a request's line and headers together (API.md).
// net/http reads MaxHeaderBytes plus 4096 bytes of buffer slack before it
// gives up, so MaxHeaderBytes is set that much lower.
const maxRequestHead = 64 << 10

// cannedHeaders is what net/http puts between the status line and the
// text of the answers it writes itself.
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// jsonErrorListener wraps every accepted connection in a jsonErrorConn;
// tls says that its listener hands out TLS connections.
type jsonErrorListener struct {
	net.Listener
	tls bool
}

// Accept implements net.Listener.
func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c, tls: l.tls}, nil
}

// jsonErrorConn rewrites net/http's canned plain-text error answers into
// JSON and passes everything else through untouched.
type jsonErrorConn struct {
	net.Conn
	tls bool // Conn is a *tls.Conn (see markTLS)
}

// Write implements net.Conn.
func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if answer, ok := jsonCannedAnswer(p); ok {
		if _, err := c.Conn.Write(answer); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the connection, as net/http does after its 431 so
// that the client can read the answer while it is still sending.
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile for file downloads: net/http uses it when the
// connection has it, and a wrapper would otherwise hide the TCP
// connection's.
func (c *jsonErrorConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// jsonCannedAnswer returns the JSON form of p if p is one of net/http's own
// plain-text error answers ("HTTP/1.1 431 Request Header Fields Too
// Large", "HTTP/1.1 400 Bad Request: missing required Host header", …).
// The answers a handler writes always carry a Date header, so they never
// look like one of these.
func jsonCannedAnswer(p []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok {
		return nil, false
	}
	line, _, ok := bytes.Cut(rest, []byte(cannedHeaders))
	if !ok || len(line) < 4 || line[3] != ' ' || bytes.ContainsAny(line, "\r\n") {
		return nil, false
	}
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	var e backend.Error
	switch _, detail, _ := bytes.Cut(line, []byte(": ")); {
	case status == 431:
		e = backend.Error{Code: backend.ETOOLARGE, Message: fmt.Sprintf("The request's headers are larger than %d KB.", maxRequestHead>>10)}
	case len(detail) > 0:
		e = backend.Error{Code: backend.EINVALID, Message: fmt.Sprintf("The request is not valid HTTP (%s).", detail)}
	default:
		e = backend.Error{Code: backend.EINVALID, Message: "The request is not valid HTTP."}
	}
	body, _ := json.Marshal(errorBody{e})
	body = append(body, '\n')
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n"+
		"X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n", line, len(body))
	b.Write(body)
	return b.Bytes(), true
}
