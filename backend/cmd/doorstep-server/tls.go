package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// TLS. By default the server speaks plain HTTP on loopback, for a reverse
// proxy in front of it to secure. It can also face the internet itself:
// with a certificate and key from files (-tls-cert, -tls-key), or with
// certificates it gets and renews from an ACME certificate authority such
// as Let's Encrypt (-acme-domain). Either way it serves HTTPS on
// -https-addr and, on -http-addr, answers plain HTTP with a redirect to
// HTTPS (and, with ACME, the authority's http-01 challenges).

// Where a server with TLS listens unless told otherwise: the standard ports
// on every address, as a server facing the internet does.
const (
	defaultHTTPSAddr = ":443"
	defaultHTTPAddr  = ":80"
)

// acmeCacheDir is where, under the data directory, ACME keeps its account
// key and the certificates it got (private keys: only the server's user
// may read them).
const acmeCacheDir = "acme"

// tlsConfig is how the server secures its connections; the zero value is
// plain HTTP on -addr.
type tlsConfig struct {
	CertFile, KeyFile string   // a certificate (chain) and its key, PEM
	ACMEDomains       []string // names to get certificates for
	ACMEEmail         string   // the account's contact, for expiry warnings
	ACMEDirectory     string   // the authority's directory URL
	ACMECARoot        string   // PEM of the authority's root, when not a public one
	HTTPSAddr         string   // where HTTPS is served
	HTTPAddr          string   // where plain HTTP is redirected; "" for nowhere
}

// on reports whether the server terminates TLS itself.
func (c tlsConfig) on() bool { return c.CertFile != "" || len(c.ACMEDomains) > 0 }

// tlsFlags adds the TLS flags to fs; finish, called after fs.Parse, checks
// them and fills cfg. addrSet says whether -addr was given (by flag or
// environment): it is for plain HTTP only.
func tlsFlags(fs *flag.FlagSet, getenv func(string) string) (finish func(cfg *tlsConfig, addrSet bool) error) {
	given := map[string]bool{} // flags set by their environment variable
	add := func(name, env, def, usage string) *string {
		v := new(string)
		*v = def
		if e := getenv(env); e != "" {
			*v, given[name] = e, true
		}
		fs.StringVar(v, name, *v, fmt.Sprintf("%s (env %s)", usage, env))
		return v
	}
	cert := add("tls-cert", "DOORSTEP_TLS_CERT", "", "serve HTTPS with the certificate (chain) in this PEM `file`; needs -tls-key")
	key := add("tls-key", "DOORSTEP_TLS_KEY", "", "the private key of -tls-cert, a PEM `file`")
	domains := add("acme-domain", "DOORSTEP_ACME_DOMAIN", "", "serve HTTPS with certificates got and renewed automatically from an ACME authority (Let's Encrypt) for these `names`, comma-separated")
	email := add("acme-email", "DOORSTEP_ACME_EMAIL", "", "contact `address` for the ACME account (expiry warnings)")
	directory := add("acme-directory", "DOORSTEP_ACME_DIRECTORY", acme.LetsEncryptURL, "the ACME authority's directory `URL`")
	caRoot := add("acme-ca-root", "DOORSTEP_ACME_CA_ROOT", "", "PEM `file` of the ACME authority's root certificate, for a private or test authority")
	httpsAddr := add("https-addr", "DOORSTEP_HTTPS_ADDR", defaultHTTPSAddr, "`host:port` to serve HTTPS on, with -tls-cert or -acme-domain")
	httpAddr := add("http-addr", "DOORSTEP_HTTP_ADDR", defaultHTTPAddr, "`host:port` where plain HTTP is redirected to HTTPS (and ACME's http-01 challenges are answered), with -tls-cert or -acme-domain; off for none")

	return func(cfg *tlsConfig, addrSet bool) error {
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		cfg.CertFile, cfg.KeyFile = *cert, *key
		if (cfg.CertFile == "") != (cfg.KeyFile == "") {
			return errors.New("-tls-cert and -tls-key go together: give both, or neither")
		}
		for _, d := range strings.Split(*domains, ",") {
			if d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), "."); d != "" {
				if strings.ContainsAny(d, "/:*@ ") || !strings.Contains(d, ".") {
					return fmt.Errorf("-acme-domain %q: want host names such as chat.example.org, comma-separated", d)
				}
				cfg.ACMEDomains = append(cfg.ACMEDomains, d)
			}
		}
		if cfg.CertFile != "" && len(cfg.ACMEDomains) > 0 {
			return errors.New("-tls-cert/-tls-key and -acme-domain are two ways to TLS: choose one")
		}
		cfg.ACMEEmail, cfg.ACMEDirectory, cfg.ACMECARoot = *email, *directory, *caRoot
		if len(cfg.ACMEDomains) == 0 {
			for _, name := range []string{"acme-email", "acme-directory", "acme-ca-root"} {
				if given[name] {
					return fmt.Errorf("-%s is for automatic certificates: it needs -acme-domain", name)
				}
			}
		} else if !strings.HasPrefix(cfg.ACMEDirectory, "https://") {
			return fmt.Errorf("-acme-directory %q: want an https:// URL", cfg.ACMEDirectory)
		}
		cfg.HTTPSAddr, cfg.HTTPAddr = *httpsAddr, *httpAddr
		if cfg.HTTPAddr == "off" {
			cfg.HTTPAddr = ""
		}
		if !cfg.on() {
			for _, name := range []string{"https-addr", "http-addr"} {
				if given[name] {
					return fmt.Errorf("-%s is where HTTPS is served: it needs -tls-cert and -tls-key, or -acme-domain", name)
				}
			}
			return nil
		}
		if addrSet {
			return errors.New("-addr is for plain HTTP; with TLS the server listens on -https-addr (default :443) and -http-addr (default :80)")
		}
		for name, addr := range map[string]string{"https-addr": cfg.HTTPSAddr, "http-addr": cfg.HTTPAddr} {
			if _, _, err := net.SplitHostPort(addr); addr != "" && err != nil {
				return fmt.Errorf("-%s %q: want host:port, such as :443", name, addr)
			}
		}
		return nil
	}
}

// acmePublicURL is where tenants reach a server with automatic
// certificates: its first name, on the HTTPS port.
func acmePublicURL(cfg tlsConfig) string {
	u := "https://" + cfg.ACMEDomains[0]
	if _, port, _ := net.SplitHostPort(cfg.HTTPSAddr); port != "443" && port != "" {
		u += ":" + port
	}
	return u
}

// frontDoor is where the server answers: its API's listener, over TLS or
// not, and beside it the plain HTTP listener that sends browsers to HTTPS.
type frontDoor struct {
	api      net.Listener
	tls      *tls.Config // nil: plain HTTP
	redirect *http.Server
	plain    net.Listener // the redirect's; nil: none
	url      string       // the API's, as it listens
}

// openFrontDoor loads the certificate or sets up ACME, then listens: a
// certificate that cannot be loaded stops the start before any port is
// taken.
func openFrontDoor(cfg serveConfig, logger *slog.Logger) (*frontDoor, error) {
	if !cfg.TLS.on() {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("listen: %w (is another doorstep-server running? choose another -addr)", err)
		}
		return &frontDoor{api: ln, url: "http://" + ln.Addr().String()}, nil
	}
	// HTTP/1.1 only: the server wraps its connections (see
	// httpapi.ServeTLS), so net/http would not speak HTTP/2 on them.
	config := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	var challenges *autocert.Manager
	if cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		config.Certificates = []tls.Certificate{cert}
	} else {
		m, err := acmeManager(cfg.TLS, cfg.DataDir)
		if err != nil {
			return nil, err
		}
		config.GetCertificate = loggedGetCertificate(m, cfg.TLS.ACMEDomains, logger)
		config.NextProtos = append(config.NextProtos, acme.ALPNProto) // tls-alpn-01 challenges
		challenges = m
	}
	ln, err := net.Listen("tcp", cfg.TLS.HTTPSAddr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w (is another server using the port? choose another -https-addr)", err)
	}
	door := &frontDoor{api: ln, tls: config, url: "https://" + ln.Addr().String()}
	if cfg.TLS.HTTPAddr != "" {
		if door.plain, err = net.Listen("tcp", cfg.TLS.HTTPAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen: %w (is another server using the port? choose another -http-addr, or off)", err)
		}
		_, httpsPort, _ := net.SplitHostPort(ln.Addr().String())
		var handler http.Handler = redirectToHTTPS(httpsPort)
		if challenges != nil {
			handler = portlessHost(challenges.HTTPHandler(handler))
		}
		door.redirect = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	}
	return door, nil
}

// acmeManager gets, caches and renews certificates for the configured
// names from the ACME authority; the terms of service are accepted by
// configuring it.
func acmeManager(cfg tlsConfig, dataDir string) (*autocert.Manager, error) {
	dir := filepath.Join(dataDir, acmeCacheDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ACME cache: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // it holds private keys
		return nil, fmt.Errorf("ACME cache: %w", err)
	}
	client := &acme.Client{DirectoryURL: cfg.ACMEDirectory}
	if cfg.ACMECARoot != "" {
		pem, err := os.ReadFile(cfg.ACMECARoot)
		if err != nil {
			return nil, fmt.Errorf("-acme-ca-root: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-acme-ca-root %s: no PEM certificate in it", cfg.ACMECARoot)
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: transport}
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(cfg.ACMEDomains...),
		Email:      cfg.ACMEEmail,
		Client:     client,
	}, nil
}

// loggedGetCertificate is the manager's GetCertificate, logging why a
// certificate for one of the server's own names could not be had (the
// authority refused, a challenge failed): otherwise browsers would only
// see a failed handshake. Handshakes for other names (scanners trying the
// bare address) fail quietly.
func loggedGetCertificate(m *autocert.Manager, domains []string, logger *slog.Logger) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := m.GetCertificate(hello)
		if err != nil && slices.Contains(domains, strings.ToLower(hello.ServerName)) {
			logger.Error("TLS certificate", "name", hello.ServerName, "err", err)
		}
		return cert, err
	}
}

// redirectToHTTPS sends every plain HTTP request to the same host and path
// over HTTPS, permanently.
func redirectToHTTPS(httpsPort string) http.Handler {
	suffix := ""
	if httpsPort != "443" {
		suffix = ":" + httpsPort
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		if host == "" {
			http.Error(w, "Use HTTPS.", http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") { // an IPv6 address
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+suffix+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// portlessHost drops the port from Host before the ACME challenge handler
// sees it: the authority names the host with its port when the challenge
// port is not 80 (a port mapping, a test), and the manager's host policy
// knows names only.
func portlessHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			r = r.Clone(r.Context())
			r.Host = h
		}
		next.ServeHTTP(w, r)
	})
}

// serveRedirect answers plain HTTP on the front door's redirect listener,
// if it has one, until shut down.
func (d *frontDoor) serveRedirect(errc chan<- error) {
	if d.redirect == nil {
		return
	}
	go func() {
		if err := d.redirect.Serve(d.plain); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("HTTP redirect: %w", err)
		}
	}()
}

// describe says where the server answers besides its URL, for its output.
func (d *frontDoor) describe(w io.Writer) {
	if d.plain != nil {
		fmt.Fprintf(w, "redirecting http://%s to HTTPS\n", d.plain.Addr())
	}
}

// shutdownRedirect stops the redirect listener.
func (d *frontDoor) shutdownRedirect(ctx context.Context) error {
	if d.redirect == nil {
		return nil
	}
	return d.redirect.Shutdown(ctx)
}
