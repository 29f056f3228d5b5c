package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"doorstep/backend"
)

// DNS rebinding: a page on a site its author controls (evil.example) can
// have that name resolve, a moment later, to the address of a Doorstep
// server the browser can reach, even one on loopback or a LAN. The browser
// then takes the server for evil.example and lets the page read its
// answers. Every such request still carries the name the browser was
// given, in Host. So what browsers use — the portal's pages and assets, the
// invite pages, and every request a browser authenticates with the session
// cookie — is answered only for the host names this server is reached by:
// the public URL's, the listen address's, the address the connection
// itself arrived at (an address typed in is no name that can be rebound),
// and "localhost" on a loopback connection (browsers resolve it
// themselves).
//
// Requests with a bearer token are not checked: the browser never adds a
// bearer token by itself, so a rebound page has none to send, and API
// clients (the desktop app, scripts) may reach the server through any name
// their owner chooses.

// WithPublicHosts names the hosts browsers reach this server by, as in the
// public URL (-public-url) and the listen address (-addr): host names or
// addresses, with or without a port (ports are not compared). The address a
// connection arrives at, and localhost on loopback, need not be named.
func WithPublicHosts(hosts ...string) Option {
	return func(s *Server) {
		for _, h := range hosts {
			if h = hostName(h); h != "" {
				s.publicHosts[h] = true
			}
		}
	}
}

// hostName is the name of a Host header or host[:port], lower case,
// without a port, brackets or a trailing dot; "" when there is none.
func hostName(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// hostAllowed reports whether r names this server as browsers reach it.
func (s *Server) hostAllowed(r *http.Request) bool {
	host := hostName(r.Host)
	if host == "" {
		return false
	}
	if s.publicHosts[host] {
		return true
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return false
	}
	at, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap() == at.Addr().Unmap()
	}
	return host == "localhost" && at.Addr().Unmap().IsLoopback()
}

// browserRequest reports whether r is one of the requests a browser makes
// on its own behalf: the portal (pages, assets, invite pages), or anything
// the session cookie would authenticate.
func browserRequest(r *http.Request) bool {
	if r.URL.Path == "/portal" || strings.HasPrefix(r.URL.Path, "/portal/") {
		return true
	}
	if r.Header.Get("Authorization") != "" {
		return false
	}
	_, err := r.Cookie(SessionCookie)
	return err == nil
}

// isPortalPage reports whether r asks for a page a person sees (rather than
// an asset or an API answer), which gets its refusal as a page too.
func isPortalPage(r *http.Request) bool {
	return r.URL.Path == "/portal" || r.URL.Path == "/portal/" ||
		strings.HasPrefix(r.URL.Path, "/portal/c/") || strings.HasPrefix(r.URL.Path, "/portal/i/")
}

// checkHosts refuses browser requests for a host this server is not reached
// by (see above), before anything else looks at them: nothing is read,
// spent or changed.
func (s *Server) checkHosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !browserRequest(r) || s.hostAllowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		s.logger.Warn("refused a browser request for another host (DNS rebinding, or a name missing from -public-url)",
			"host", r.Host, "path", logPath(r))
		err := backend.Errorf(backend.EFORBIDDEN, "Doorstep does not answer at this address. Open your messages from the link in the latest e-mail or text message about your chat.")
		if isPortalPage(r) {
			s.writeInvitePage(w, r, http.StatusForbidden, backend.ErrorMessage(err))
			return
		}
		s.writeError(w, r, err)
	})
}
