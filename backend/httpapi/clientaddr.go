package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// Where a request comes from. The connection's peer is the client, unless
// the peer is a reverse proxy the operator trusts (-trusted-proxies): then
// X-Forwarded-For says who the proxy served, and X-Forwarded-Proto whether
// it was over TLS. From anyone else those headers are whatever a client
// wrote, and believing them would let a guesser pick a fresh address for
// every try, or get cookies marked Secure over plain HTTP.

// WithTrustedProxies sets the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto headers are believed (default: none).
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(s *Server) { s.trustedProxies = append(s.trustedProxies, prefixes...) }
}

// ParseTrustedProxies reads a list of addresses and CIDR prefixes,
// separated by commas or spaces, e.g. "127.0.0.1, ::1, 10.0.0.0/8".
// "none" or an empty list trusts no proxy.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if f == "none" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q: want an address or a CIDR prefix such as 10.0.0.0/8", f)
			}
			bits := p.Bits()
			if p.Addr().Is4In6() { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
				bits = max(bits-96, 0)
			}
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), bits).Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q: want an address or a CIDR prefix such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientInfo is where a request comes from.
type clientInfo struct {
	addr netip.Addr // invalid when the peer's address could not be read
	peer string     // the connection's RemoteAddr, for when addr is invalid
	// proxied: the peer is a trusted proxy, so its X-Forwarded-* headers
	// are believed.
	proxied bool
}

// String is the client's address as the log shows it.
func (c clientInfo) String() string {
	if c.addr.IsValid() {
		return c.addr.String()
	}
	return c.peer
}

// LogValue makes slog write the address, not the struct.
func (c clientInfo) LogValue() slog.Value { return slog.StringValue(c.String()) }

// key is the client's key in the per-address limits. An IPv6 client
// usually holds a whole /64 and can pick any address in it, so IPv6
// addresses count by their /64.
func (c clientInfo) key() string {
	switch {
	case !c.addr.IsValid():
		return "peer " + c.peer
	case c.addr.Is6():
		return netip.PrefixFrom(c.addr, 64).Masked().String()
	}
	return c.addr.String()
}

type clientKey struct{}

// client is where r comes from, as worked out once by logRequests.
func (s *Server) client(r *http.Request) clientInfo {
	if c, ok := r.Context().Value(clientKey{}).(clientInfo); ok {
		return c
	}
	return s.clientOf(r)
}

// clientOf works out where r comes from: the peer, or, from a trusted
// proxy, the right-most address in X-Forwarded-For that is not itself a
// trusted proxy (addresses further left were written by the client or by
// proxies nobody vouches for).
func (s *Server) clientOf(r *http.Request) clientInfo {
	c := clientInfo{peer: r.RemoteAddr}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.addr = ap.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		c.addr = a.Unmap()
	}
	if !s.trusted(c.addr) {
		return c
	}
	c.proxied = true
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy writes addresses; garbage here came from
			// further out. The last trusted hop is the best we know.
			break
		}
		c.addr = a
		if !s.trusted(a) {
			break
		}
	}
	return c
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// secureRequest reports whether the browser reached the server over TLS,
// directly or through a trusted reverse proxy that says so, so cookies are
// marked Secure. A request on a connection this server decrypted is secure
// whatever its headers say. Of several X-Forwarded-Proto values the
// right-most is the one our proxy wrote.
func secureRequest(r *http.Request) bool {
	if overTLS(r) {
		return true
	}
	c, _ := r.Context().Value(clientKey{}).(clientInfo)
	if !c.proxied {
		return false
	}
	protos := r.Header.Values("X-Forwarded-Proto")
	if len(protos) == 0 {
		return false
	}
	last := protos[len(protos)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}
