package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/signingkey"
	"doorstep/internal/wait"
)

// landlordOf signs the demo landlord in on the server at url.
func landlordOf(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	return c.WithSession(sess.Token)
}

// wantSigningRefused asks the server at url to sign conv's head and wants
// it refused with 409 conflict, saying from which message the history no
// longer holds.
func wantSigningRefused(t *testing.T, url string, conv, seq int64) {
	t.Helper()
	_, err := landlordOf(t, url).ChainHead(context.Background(), conv)
	if backend.ErrorCode(err) != backend.ECONFLICT || !strings.Contains(backend.ErrorMessage(err), fmt.Sprintf("from message %d on", seq)) {
		t.Errorf("signing after message %d was changed: %v; want 409 conflict naming message %d", seq, err, seq)
	}
}

// logLine is the first line of log holding prefix ("" if none).
func logLine(log, prefix string) string {
	i := strings.Index(log, prefix)
	if i < 0 {
		return ""
	}
	line := log[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return line
}

// A message changed long after it was signed, in a conversation with
// nothing new since, is caught when its head is next asked for (an
// export) and by the periodic audit, which logs it with its conversation
// and seq and counts it.
func TestChangeToASignedQuietHistoryIsCaught(t *testing.T) {
	d := makeChainData(t) // signed up to 8, nothing since
	execSQL(t, d.dir, fmt.Sprintf("UPDATE messages SET text = 'The plumber never came.' WHERE conversation_id = %d AND seq = 4", d.conv))
	url, log, stdout := startServe(t, d.dir, "-sign-every", "0", "-audit-every", "1s", "-metrics-addr", "127.0.0.1:0")

	wantSigningRefused(t, url, d.conv, 4)

	const audit = "chain: the audit found a history that no longer holds"
	wait.For(t, "the audit logged the changed message", func() bool { return strings.Contains(log.String(), audit) })
	if line := logLine(log.String(), audit); !strings.Contains(line, fmt.Sprintf("conversation=%d seq=4", d.conv)) {
		t.Errorf("log line %q does not name conversation %d, message 4", line, d.conv)
	}
	metricsURL := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(stdout.String())
	if metricsURL == nil {
		t.Fatalf("no metrics address in %q", stdout.String())
	}
	wait.For(t, "the metrics count the audit's problems", func() bool {
		return sample(scrape(t, metricsURL[1]), "doorstep_chain_problems_total") >= 1
	})
}

// An intact history is still signed on request, checked from its first
// message on, and an audit of it logs no problem.
func TestIntactHistoryIsSignedAndAuditedClean(t *testing.T) {
	d := makeChainData(t)
	url, log, _ := startServe(t, d.dir, "-sign-every", "0", "-audit-every", "1s")
	s, err := landlordOf(t, url).ChainHead(context.Background(), d.conv)
	if err != nil || s.Seq != 8 {
		t.Fatalf("signing an intact history: %+v, %v", s, err)
	}
	wait.For(t, "an audit round", func() bool { return strings.Contains(log.String(), "chain: audited every history") })
	if line := logLine(log.String(), "chain: audited every history"); !strings.Contains(line, "problems=0") {
		t.Errorf("audit of an intact history: %q", line)
	}
}

func TestAuditEveryFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want time.Duration
	}{
		{nil, nil, 24 * time.Hour},
		{nil, map[string]string{"DOORSTEP_AUDIT_EVERY": "6h"}, 6 * time.Hour},
		{[]string{"-audit-every", "0"}, map[string]string{"DOORSTEP_AUDIT_EVERY": "6h"}, 0},
	} {
		cfg, err := parseServeConfig(tc.args, env(tc.env), io.Discard)
		if err != nil || cfg.AuditEvery != tc.want {
			t.Errorf("%v %v: %v, %v; want %v", tc.args, tc.env, cfg.AuditEvery, err, tc.want)
		}
	}
	for _, bad := range []string{"daily", "-1h", "10ms"} {
		if _, err := parseServeConfig([]string{"-audit-every", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-audit-every") {
			t.Errorf("-audit-every %s: err = %v", bad, err)
		}
	}
}

// recordedSigningKey is the fingerprint an SQLite data directory's
// database records as the server's signing key.
func recordedSigningKey(t *testing.T, dir string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var fp string
	raw.QueryRow("SELECT value FROM meta WHERE key = 'signing_key'").Scan(&fp)
	return fp
}

// writeOtherKey replaces dir's signing.key with a new key and returns it.
func writeOtherKey(t *testing.T, dir string) ed25519.PrivateKey {
	t.Helper()
	if err := os.Remove(signingkey.Path(dir)); err != nil {
		t.Fatal(err)
	}
	key, created, err := signingkey.LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("another key: %v (made: %v)", err, created)
	}
	return key
}

// The database records the key its server first started with; a start
// with another key is refused, naming both fingerprints and never the
// key, unless -new-signing-key says to record the new one.
func TestServerRefusesAnotherSigningKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stop := serveUntilStopped(t, dir)
	first, err := signingkey.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	firstFP := backend.KeyFingerprint(signingkey.Public(first))
	stop()
	if got := recordedSigningKey(t, dir); got != firstFP {
		t.Fatalf("recorded key %q; want the first start's %q", got, firstFP)
	}

	other := writeOtherKey(t, dir)
	otherFP := backend.KeyFingerprint(signingkey.Public(other))
	err = serveRefused(t, dir)
	wantKeyRefused(t, err, "", firstFP, otherFP)
	if got := recordedSigningKey(t, dir); got != firstFP {
		t.Errorf("after the refusal the database records %q; want still %q", got, firstFP)
	}

	startServe(t, dir, "-new-signing-key")
	if got := recordedSigningKey(t, dir); got != otherFP {
		t.Errorf("after -new-signing-key the database records %q; want the new key's %q", got, otherFP)
	}
}

// wantKeyRefused wants err to be the refusal of a key other than the one
// recorded, naming both fingerprints, with no key material in it or in
// what the server printed.
func wantKeyRefused(t *testing.T, err error, printed, recorded, mine string) {
	t.Helper()
	msg := backend.ErrorMessage(err)
	if backend.ErrorCode(err) != backend.EUNAVAILABLE || !strings.Contains(msg, "fingerprint "+recorded) || !strings.Contains(msg, "fingerprint "+mine) ||
		!strings.Contains(msg, "-new-signing-key") {
		t.Errorf("err = %v; want another key refused, naming %s and %s", err, recorded, mine)
	}
	if strings.Contains(err.Error()+printed, "PRIVATE KEY") {
		t.Errorf("the refusal shows key material:\n%v\n%s", err, printed)
	}
}

// serveRefused runs `serve` on dir and returns why it would not start,
// failing the test if it starts.
func serveRefused(t *testing.T, dir string) error {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	var printed syncBuffer
	go func() {
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-data", dir}, env(nil), &printed, &printed, fastHashes())
	}()
	var err error
	wait.For(t, "the server refused to start or started", func() bool {
		select {
		case err = <-errc:
			return true
		default:
		}
		_, statErr := os.Stat(urlFile)
		return statErr == nil
	})
	if err == nil {
		cancel()
		<-errc
		t.Fatalf("the server started; want it refused:\n%s", printed.String())
	}
	if strings.Contains(printed.String(), "PRIVATE KEY") {
		t.Errorf("the server printed key material:\n%s", printed.String())
	}
	return err
}

// serveUntilStopped runs `serve` on dir until stop is called.
func serveUntilStopped(t *testing.T, dir string, args ...string) (stop func()) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-data", dir}, args...),
			env(nil), io.Discard, io.Discard, fastHashes())
	}()
	waitForFile(t, urlFile, errc)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}
