package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/internal/wait"
)

// selfSigned makes a certificate for hosts (names or addresses), signed
// by itself, and writes it and its key as PEM files in dir.
func selfSigned(t *testing.T, dir string, hosts ...string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: hosts[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, roots
}

// freePort is a loopback port nothing listens on (yet).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// httpsClient trusts roots only, offers HTTP/2 as browsers do, and
// reaches the names in hosts (name → host:port) on loopback.
func httpsClient(roots *x509.CertPool, hosts map[string]string) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	return &http.Client{
		Timeout: 2 * time.Minute, // the first handshake waits for the certificate
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if to, ok := hosts[addr]; ok {
					addr = to
				}
				return dialer.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var redirectLine = regexp.MustCompile(`redirecting (http://\S+) to HTTPS`)

// startTLSServer runs serve with args until the test ends and returns its
// URL (from -url-file) and what it printed.
func startTLSServer(t *testing.T, dataDir string, args ...string) (url string, stdout *syncBuffer) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &syncBuffer{}
	var stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "-data", dataDir, "-url-file", urlFile, "-demo"}, args...), env(nil), stdout, &stderr, fastHashes())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	return waitForFile(t, urlFile, errc), stdout
}

// checkPortal redeems a portal link over HTTPS and checks the cookies the
// tenant gets are Secure, even when the request claims, through a trusted
// proxy's header, to have come over plain HTTP.
func checkPortal(t *testing.T, hc *http.Client, base, dataDir string) {
	t.Helper()
	var link syncBuffer
	if err := run(context.Background(), []string{"portal-link", "-tenant", "james.okafor@example.com", "-data", dataDir, "-public-url", base},
		env(nil), &link, io.Discard, fastHashes()); err != nil {
		t.Fatal(err)
	}
	invite := strings.TrimSpace(link.String())
	if !strings.HasPrefix(invite, base+"/portal/i/") {
		t.Fatalf("portal link %q is not under %s", invite, base)
	}
	resp, err := hc.Get(invite)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the portal link over HTTPS: %s", resp.Status)
	}
	req, _ := http.NewRequest("POST", invite, nil)
	req.Header.Set("Origin", base)
	req.Header.Set("X-Forwarded-Proto", "http") // from loopback, a trusted proxy by default
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeeming the portal link: %s", resp.Status)
	}
	cookies := resp.Cookies()
	if len(cookies) != 2 {
		t.Fatalf("cookies after redeeming: %v", cookies)
	}
	for _, c := range cookies {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure over TLS", c.Name)
		}
	}
	resp, err = hc.Get(base + "/portal/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Errorf("the portal page over HTTPS: %s", resp.Status)
	}
}

// checkRedirect checks that plain HTTP at httpURL sends browsers to the
// same host and path at httpsBase, permanently.
func checkRedirect(t *testing.T, hc *http.Client, httpURL, httpsBase string) {
	t.Helper()
	resp, err := hc.Get(httpURL + "/portal/c/7?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("Location"), httpsBase+"/portal/c/7?x=1"; resp.StatusCode != http.StatusMovedPermanently || got != want {
		t.Errorf("plain HTTP: %s to %q, want 301 to %q", resp.Status, got, want)
	}
}

// TestTLSFromFiles: with -tls-cert and -tls-key the server speaks HTTPS
// only, with its JSON errors, websockets and Secure cookies, and redirects
// plain HTTP there.
func TestTLSFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	certFile, keyFile, roots := selfSigned(t, dir, "127.0.0.1")
	url, stdout := startTLSServer(t, dataDir, "-tls-cert", certFile, "-tls-key", keyFile,
		"-https-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0")
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL %q, want https", url)
	}
	hc := httpsClient(roots, nil)

	resp, err := hc.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("GET /healthz over TLS: %s", resp.Status)
	}
	// Offered HTTP/2, the server settles on HTTP/1.1, which it speaks.
	if resp.Proto != "HTTP/1.1" || resp.TLS.NegotiatedProtocol != "http/1.1" {
		t.Errorf("protocol %s (ALPN %q), want HTTP/1.1", resp.Proto, resp.TLS.NegotiatedProtocol)
	}

	t.Run("PortalCookiesAreSecure", func(t *testing.T) { checkPortal(t, hc, url, dataDir) })
	t.Run("PlainHTTPRedirects", func(t *testing.T) {
		found := redirectLine.FindStringSubmatch(stdout.String())
		if found == nil {
			t.Fatalf("no redirect listener in %q", stdout.String())
		}
		checkRedirect(t, hc, found[1], url)
	})
	t.Run("Websocket", func(t *testing.T) {
		c, _ := client.New(url, client.WithHTTPClient(hc))
		sess, err := c.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
		if err != nil {
			t.Fatal(err)
		}
		dialer := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: roots}, HandshakeTimeout: 10 * time.Second}
		conn, resp, err := dialer.Dial("wss"+strings.TrimPrefix(url, "https")+"/api/v1/events",
			http.Header{"Authorization": {"Bearer " + sess.Token}})
		if err != nil {
			t.Fatalf("websocket over TLS: %v (%v)", err, resp)
		}
		conn.Close()
	})
	t.Run("RefusalsAreJSON", func(t *testing.T) {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{RootCAs: roots})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\n\r\n") // no Host
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"invalid_input"`) {
			t.Errorf("a request without Host over TLS: %s %s", resp.Status, body)
		}
	})
	t.Run("NoPlainHTTPOnTheTLSPort", func(t *testing.T) {
		resp, err := http.Get("http" + strings.TrimPrefix(url, "https") + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Error("the HTTPS port answered plain HTTP")
			}
		}
	})
}

// TestTLSConfig: the TLS flags are checked before anything listens.
func TestTLSConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir, "127.0.0.1")
	data := env(map[string]string{"DOORSTEP_DATA_DIR": filepath.Join(dir, "data")})

	t.Run("FromEnvironment", func(t *testing.T) {
		cfg, err := parseServeConfig(nil, env(map[string]string{"DOORSTEP_DATA_DIR": dir,
			"DOORSTEP_ACME_DOMAIN": "Chat.Example.org, www.example.org", "DOORSTEP_ACME_EMAIL": "ops@example.org",
			"DOORSTEP_HTTPS_ADDR": ":8443", "DOORSTEP_HTTP_ADDR": "off"}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(cfg.TLS.ACMEDomains, " ") != "chat.example.org www.example.org" || cfg.TLS.ACMEEmail != "ops@example.org" ||
			cfg.TLS.HTTPSAddr != ":8443" || cfg.TLS.HTTPAddr != "" || cfg.TLS.ACMEDirectory != "https://acme-v02.api.letsencrypt.org/directory" {
			t.Errorf("config %+v", cfg.TLS)
		}
		if cfg.PublicURL != "https://chat.example.org:8443" {
			t.Errorf("public URL %q, want the first name on the HTTPS port", cfg.PublicURL)
		}
	})
	t.Run("PlainByDefault", func(t *testing.T) {
		cfg, err := parseServeConfig(nil, data, io.Discard)
		if err != nil || cfg.TLS.on() || cfg.Addr != defaultAddr {
			t.Errorf("config %+v, %v", cfg.TLS, err)
		}
	})
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"ErrCertWithoutKey":     {[]string{"-tls-cert", certFile}, nil, "-tls-cert and -tls-key go together"},
		"ErrKeyWithoutCert":     {nil, map[string]string{"DOORSTEP_TLS_KEY": keyFile}, "-tls-cert and -tls-key go together"},
		"ErrBothWays":           {[]string{"-tls-cert", certFile, "-tls-key", keyFile, "-acme-domain", "chat.example.org"}, nil, "choose one"},
		"ErrAddrWithTLS":        {[]string{"-tls-cert", certFile, "-tls-key", keyFile, "-addr", "127.0.0.1:8765"}, nil, "-addr is for plain HTTP"},
		"ErrAddrEnvWithTLS":     {[]string{"-acme-domain", "chat.example.org"}, map[string]string{"DOORSTEP_ADDR": "127.0.0.1:1"}, "-addr is for plain HTTP"},
		"ErrHTTPSAddrAlone":     {[]string{"-https-addr", ":8443"}, nil, "-https-addr is where HTTPS is served"},
		"ErrACMEEmailAlone":     {[]string{"-acme-email", "ops@example.org"}, nil, "needs -acme-domain"},
		"ErrACMEDomainNotAName": {[]string{"-acme-domain", "https://chat.example.org"}, nil, "want host names"},
		"ErrACMEDirectoryHTTP":  {[]string{"-acme-domain", "chat.example.org", "-acme-directory", "http://ca.example.org/dir"}, nil, "https:// URL"},
		"ErrBadHTTPSAddr":       {[]string{"-tls-cert", certFile, "-tls-key", keyFile, "-https-addr", "443"}, nil, "-https-addr \"443\""},
	} {
		t.Run(name, func(t *testing.T) {
			kv := map[string]string{"DOORSTEP_DATA_DIR": dir}
			for k, v := range tc.env {
				kv[k] = v
			}
			_, err := parseServeConfig(tc.args, env(kv), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("ErrCertificateUnreadableBeforeListening", func(t *testing.T) {
		port := freePort(t)
		garbage := filepath.Join(dir, "garbage.pem")
		os.WriteFile(garbage, []byte("not a certificate"), 0o600)
		for _, files := range [][2]string{{filepath.Join(dir, "missing.pem"), keyFile}, {garbage, keyFile}, {certFile, certFile}} {
			err := run(context.Background(), []string{"serve", "-tls-cert", files[0], "-tls-key", files[1], "-https-addr", "127.0.0.1:" + port, "-http-addr", "off"},
				data, io.Discard, io.Discard, fastHashes())
			if err == nil || !strings.Contains(err.Error(), "-tls-cert/-tls-key") {
				t.Errorf("%v: err = %v", files, err)
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("the port was left taken: %v", err)
		}
		ln.Close()
	})
	t.Run("ErrACMECARootNotPEM", func(t *testing.T) {
		err := run(context.Background(), []string{"serve", "-acme-domain", "chat.example.org", "-acme-ca-root", keyFile,
			"-https-addr", "127.0.0.1:0", "-http-addr", "off"}, data, io.Discard, io.Discard, fastHashes())
		if err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("err = %v", err)
		}
	})
}

// waitListening polls until something accepts connections at addr.
func waitListening(t *testing.T, what, addr string) {
	t.Helper()
	wait.For(t, what+" listens", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}
