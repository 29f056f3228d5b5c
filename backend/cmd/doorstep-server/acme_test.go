package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/internal/wait"
)

// Automatic certificates are tested against Let's Encrypt's own test
// authority, pebble, on loopback: it really validates the challenges,
// against the ports it is configured with, so doorstep must answer them.
// Its DNS questions go to pebble-challtestsrv, which answers 127.0.0.1 for
// every name. Both are pinned in tools/go.mod and built here (the Go build
// cache makes that quick after the first time).

// acmeDomain is the name the tests get certificates for.
const acmeDomain = "chat.doorstep.test"

// acmeTools builds pebble and pebble-challtestsrv into a directory of the
// test's and returns it.
func acmeTools(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-modfile="+filepath.Join(root, "tools", "go.mod"), "-o", bin+string(filepath.Separator),
		"github.com/letsencrypt/pebble/v2/cmd/pebble", "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building pebble: %v\n%s", err, out)
	}
	return bin
}

// process runs a program until the test ends, keeping its output for when
// the test fails.
func process(t *testing.T, name string, env []string, args ...string) {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(name), out.String())
		}
	})
}

// pebble is a running ACME authority.
type pebble struct {
	directory string         // its ACME directory URL
	caRoot    string         // PEM file of the root of its own HTTPS listener
	issuer    *x509.CertPool // the root it issues certificates under
}

// startPebble runs pebble validating http-01 challenges on httpPort and
// tls-alpn-01 ones on tlsPort, looking names up at dnsAddr.
func startPebble(t *testing.T, bin, dnsAddr, httpPort, tlsPort string) pebble {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, roots := selfSigned(t, dir, "127.0.0.1")
	listen, management := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	config := map[string]any{"pebble": map[string]any{
		"listenAddress":           listen,
		"managementListenAddress": management,
		"certificate":             certFile,
		"privateKey":              keyFile,
		"httpPort":                atoi(t, httpPort),
		"tlsPort":                 atoi(t, tlsPort),
		"ocspResponderURL":        "",
		"keyAlgorithm":            "ecdsa",
		"retryAfter":              map[string]int{"authz": 1, "order": 1},
	}}
	b, _ := json.Marshal(config)
	configFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(configFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// No random validation delays and no nonces refused for practice; the
	// challenges are still really checked (PEBBLE_VA_ALWAYS_VALID stays off).
	process(t, filepath.Join(bin, "pebble"), []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_VA_ALWAYS_VALID=0"},
		"-config", configFile, "-dnsserver", dnsAddr)
	waitListening(t, "pebble", listen)
	waitListening(t, "pebble's management", management)

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := hc.Get("https://" + management + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	issuer := x509.NewCertPool()
	if resp.StatusCode != http.StatusOK || !issuer.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("pebble's root: %s %q", resp.Status, rootPEM)
	}
	return pebble{directory: "https://" + listen + "/dir", caRoot: certFile, issuer: issuer}
}

func atoi(t *testing.T, port string) int {
	n, err := net.LookupPort("tcp", port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestACME gets a real certificate from pebble, once through each kind of
// challenge: http-01 on the plain HTTP listener, tls-alpn-01 on the HTTPS
// one. Each time the authority can only reach doorstep through that one
// challenge; the other port leads nowhere.
func TestACME(t *testing.T) {
	t.Parallel()
	bin := acmeTools(t)
	dnsAddr := "127.0.0.1:" + freePort(t)
	process(t, filepath.Join(bin, "pebble-challtestsrv"), nil,
		"-dnsserver", dnsAddr, "-management", "127.0.0.1:"+freePort(t),
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
		"-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	waitListening(t, "pebble-challtestsrv's DNS", dnsAddr)

	t.Run("HTTP01", func(t *testing.T) {
		httpsPort, httpPort := freePort(t), freePort(t)
		ca := startPebble(t, bin, dnsAddr, httpPort, freePort(t))
		dataDir := filepath.Join(t.TempDir(), "data")
		_, stdout := startTLSServer(t, dataDir, "-acme-domain", acmeDomain, "-acme-email", "ops@doorstep.test",
			"-acme-directory", ca.directory, "-acme-ca-root", ca.caRoot,
			"-https-addr", "127.0.0.1:"+httpsPort, "-http-addr", "127.0.0.1:"+httpPort)
		base := "https://" + acmeDomain + ":" + httpsPort
		hc := httpsClient(ca.issuer, map[string]string{
			acmeDomain + ":" + httpsPort: "127.0.0.1:" + httpsPort,
			acmeDomain + ":" + httpPort:  "127.0.0.1:" + httpPort,
		})
		checkIssued(t, hc, base)
		t.Run("PortalCookiesAreSecure", func(t *testing.T) { checkPortal(t, hc, base, dataDir) })
		t.Run("PlainHTTPRedirects", func(t *testing.T) {
			if !strings.Contains(stdout.String(), "redirecting http://127.0.0.1:"+httpPort+" to HTTPS") {
				t.Errorf("stdout %q", stdout.String())
			}
			checkRedirect(t, hc, "http://"+acmeDomain+":"+httpPort, base)
		})
		t.Run("CertificateCached", func(t *testing.T) {
			cache := filepath.Join(dataDir, acmeCacheDir)
			info, err := os.Stat(cache)
			if err != nil || info.Mode().Perm() != 0o700 {
				t.Fatalf("cache directory: %v, %v; want 0700", info, err)
			}
			if _, err := os.Stat(filepath.Join(cache, acmeDomain)); err != nil {
				t.Errorf("no certificate cached for %s: %v", acmeDomain, err)
			}
		})
	})

	t.Run("TLSALPN01", func(t *testing.T) {
		httpsPort := freePort(t)
		ca := startPebble(t, bin, dnsAddr, freePort(t), httpsPort)
		startTLSServer(t, filepath.Join(t.TempDir(), "data"), "-acme-domain", acmeDomain,
			"-acme-directory", ca.directory, "-acme-ca-root", ca.caRoot,
			"-https-addr", "127.0.0.1:"+httpsPort, "-http-addr", "off")
		hc := httpsClient(ca.issuer, map[string]string{acmeDomain + ":" + httpsPort: "127.0.0.1:" + httpsPort})
		checkIssued(t, hc, "https://"+acmeDomain+":"+httpsPort)
	})
}

// checkIssued reaches /healthz at base through a certificate for
// acmeDomain issued under the client's only root, pebble's.
func checkIssued(t *testing.T, hc *http.Client, base string) {
	t.Helper()
	var resp *http.Response
	// The first handshake waits while the certificate is got; a client
	// that gives up meanwhile just tries again, as a browser's user would.
	wait.For(t, "a certificate from the ACME authority", func() bool {
		var err error
		resp, err = hc.Get(base + "/healthz")
		if err != nil {
			t.Logf("GET /healthz: %v", err)
			return false
		}
		return true
	})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %s", resp.Status)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.Subject.CommonName != acmeDomain && !strings.Contains(strings.Join(leaf.DNSNames, " "), acmeDomain) {
		t.Errorf("certificate for %v, want %s", leaf.DNSNames, acmeDomain)
	}
	if !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
		t.Errorf("certificate issued by %q", leaf.Issuer.CommonName)
	}
}
