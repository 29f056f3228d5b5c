package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
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
