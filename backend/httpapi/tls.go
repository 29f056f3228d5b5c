package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
)

// When the server terminates TLS itself, its connections are *tls.Conn
// wrapped in a jsonErrorConn (so net/http's own refusals are still JSON,
// now encrypted like the rest). net/http only fills Request.TLS for a bare
// *tls.Conn, so the server marks those connections itself: every request on
// one is secure, whatever its headers say, and its cookies are Secure.

// tlsConnKey marks, in a connection's context, that it arrived over TLS.
type tlsConnKey struct{}

// ServeTLS is Serve over TLS: it accepts connections on ln, handshakes
// with config (its certificates, or its GetCertificate), and serves them
// until Shutdown is called.
func (s *Server) ServeTLS(ln net.Listener, config *tls.Config) error {
	if err := s.http.Serve(jsonErrorListener{Listener: tls.NewListener(ln, config), tls: true}); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// markTLS is the http.Server's ConnContext: it records which connections
// are TLS ones, for overTLS.
func markTLS(ctx context.Context, c net.Conn) context.Context {
	if jc, ok := c.(*jsonErrorConn); ok && jc.tls {
		return context.WithValue(ctx, tlsConnKey{}, true)
	}
	return ctx
}

// overTLS reports whether r arrived on a connection this server decrypted.
func overTLS(r *http.Request) bool {
	on, _ := r.Context().Value(tlsConnKey{}).(bool)
	return on || r.TLS != nil
}
