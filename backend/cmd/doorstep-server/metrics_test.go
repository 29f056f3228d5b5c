package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/notify"
	"doorstep/internal/wait"
)

// scrape reads the server's metrics over HTTP, as Prometheus does.
func scrape(t *testing.T, metricsURL string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", metricsURL, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics are not in Prometheus' text format: %v", err)
	}
	return families
}

// sample is the value of the series of family name whose labels include
// labels: a counter's or gauge's value, a histogram's count of
// observations; 0 when there is no such series.
func sample(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	total := 0.0
series:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// histogramSum is the sum of the observations of a histogram family.
func histogramSum(families map[string]*dto.MetricFamily, name string) float64 {
	total := 0.0
	if f := families[name]; f != nil {
		for _, m := range f.Metric {
			total += m.Histogram.GetSampleSum()
		}
	}
	return total
}

var metricsLine = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// TestMetrics runs the server with -metrics-addr, does real requests, sends
// messages, opens a websocket and lets notifications go out, then reads
// /metrics over HTTP and checks each count moved by exactly what was done.
func TestMetrics(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The SMS provider refuses every number for good, so each text message
	// is one failed try; e-mail goes to the dev mailbox, each one sent.
	var texts atomic.Int64
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		texts.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code":21614,"message":"The 'To' number is not a valid mobile number."}`))
	}))
	defer provider.Close()

	var stdout syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir, "-url-file", urlFile, "-demo",
			"-metrics-addr", "127.0.0.1:0", "-new-message-email", "0",
			"-sms-url", provider.URL, "-sms-account", "AC1", "-sms-from", "+15550001111"},
			env(map[string]string{"DOORSTEP_SMS_TOKEN": "token"}), &stdout, io.Discard, fastHashes())
	}()
	url := waitForFile(t, urlFile, errc)
	found := metricsLine.FindStringSubmatch(stdout.String())
	if found == nil {
		t.Fatalf("the server does not say where its metrics are: %q", stdout.String())
	}
	metricsURL := found[1]

	t.Run("NotOnThePublicListener", func(t *testing.T) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the public listener: %s, want 404", resp.Status)
		}
		resp, err = http.Get(strings.TrimSuffix(metricsURL, "/metrics") + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("the metrics listener answers more than /metrics: /healthz gave %s", resp.Status)
		}
	})

	// The demo's notifications: wait until the outbox is empty, then every
	// e-mail in the dev mailbox is one "sent" try and every request the
	// provider had is one "failed" one.
	var m map[string]*dto.MetricFamily
	wait.For(t, "the outbox is empty", func() bool {
		m = scrape(t, metricsURL)
		tries := sample(m, "doorstep_notification_attempts_total")
		return tries > 0 && sample(m, "doorstep_notifications_queued") == 0
	})
	box, err := notify.OpenMailbox(mailboxDir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	mail, err := box.List()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sample(m, "doorstep_notification_attempts_total", "channel", "email", "outcome", "sent"), float64(len(mail)); got != want || want == 0 {
		t.Errorf("e-mails sent: metric %v, dev mailbox %v", got, want)
	}
	if got, want := sample(m, "doorstep_notification_attempts_total", "channel", "sms", "outcome", "failed"), float64(texts.Load()); got != want || want == 0 {
		t.Errorf("texts failed: metric %v, provider refused %v", got, want)
	}
	if got := sample(m, "doorstep_notification_attempts_total", "outcome", "retry"); got != 0 {
		t.Errorf("%v retries counted; every failure was permanent", got)
	}

	// Requests, and the messages they send.
	for range 3 {
		if _, err := http.Get(url + "/healthz"); err != nil {
			t.Fatal(err)
		}
	}
	if resp, err := http.Get(url + "/no/such/page/42"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	anon, _ := client.New(url)
	sess, err := anon.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	landlord := anon.WithSession(sess.Token)
	convs, err := landlord.Conversations(ctx)
	if err != nil || len(convs) < 2 {
		t.Fatalf("conversations: %d, %v", len(convs), err)
	}
	for _, c := range convs[:2] {
		if _, err := landlord.Conversation(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	var james backend.Conversation
	for _, c := range convs {
		if len(c.Members) == 1 && strings.Contains(c.Members[0].Name, "James") {
			james = c
		}
	}
	if james.ID == 0 {
		t.Fatalf("no conversation with James Okafor among %+v", convs)
	}
	for i, text := range []string{"The plumber comes at nine.", "He has a key."} {
		if _, err := landlord.SendMessage(ctx, james.ID, backend.SendMessage{Key: fmt.Sprintf("metrics-%d", i), Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	// A resend stores nothing new and is not another message sent.
	if _, err := landlord.SendMessage(ctx, james.ID, backend.SendMessage{Key: "metrics-1", Text: "He has a key."}); err != nil {
		t.Fatal(err)
	}
	var link syncBuffer
	if err := run(ctx, []string{"portal-link", "-tenant", "james.okafor@example.com", "-data", dataDir}, env(nil), &link, io.Discard, fastHashes()); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(link.String()[strings.LastIndex(link.String(), "/")+1:])
	tsess, err := anon.RedeemInvite(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.WithSession(tsess.Token).SendMessage(ctx, james.ID, backend.SendMessage{Key: "metrics-tenant", Text: "Thanks!"}); err != nil {
		t.Fatal(err)
	}

	// One websocket, open and then closed.
	stream, err := landlord.Events(ctx, client.Live)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the metrics count the open websocket", func() bool {
		return sample(scrape(t, metricsURL), "doorstep_websocket_connections") == 1
	})
	stream.Close()
	wait.For(t, "the metrics count the websocket closed", func() bool {
		m = scrape(t, metricsURL)
		return sample(m, "doorstep_websocket_connections") == 0 &&
			sample(m, "doorstep_http_requests_total", "route", "/api/v1/events") == 1
	})

	wantRequests := []struct {
		method, route, code string
		n                   float64
	}{
		{"GET", "/healthz", "200", 3},
		{"GET", "/", "404", 2},                          // /no/such/page/42, and /metrics on the public listener
		{"GET", "/api/v1/conversations/{id}", "200", 2}, // two ids, one series
		{"POST", "/api/v1/conversations/{id}/messages", "201", 4},
		{"GET", "/api/v1/events", "101", 1},
	}
	wait.For(t, "every request is counted", func() bool {
		m = scrape(t, metricsURL)
		for _, w := range wantRequests {
			if sample(m, "doorstep_http_requests_total", "method", w.method, "route", w.route, "code", w.code) < w.n {
				return false
			}
		}
		return true
	})
	for _, w := range wantRequests {
		if got := sample(m, "doorstep_http_requests_total", "method", w.method, "route", w.route, "code", w.code); got != w.n {
			t.Errorf("%s %s → %s counted %v times, want %v", w.method, w.route, w.code, got, w.n)
		}
	}
	if got := sample(m, "doorstep_http_request_duration_seconds", "route", "/healthz"); got != 3 {
		t.Errorf("/healthz durations observed %v times, want 3", got)
	}
	if got := sample(m, "doorstep_http_request_duration_seconds", "route", "/api/v1/events"); got != 0 {
		t.Errorf("a websocket's lifetime went into the request durations (%v)", got)
	}
	for _, series := range m["doorstep_http_requests_total"].Metric {
		for _, l := range series.Label {
			if l.GetName() == "route" && regexp.MustCompile(`/\d`).MatchString(l.GetValue()) {
				t.Errorf("a route label carries a raw path: %q", l.GetValue())
			}
		}
	}

	if got := sample(m, "doorstep_messages_sent_total", "sender", "landlord"); got != 2 {
		t.Errorf("messages sent by the landlord: %v, want 2", got)
	}
	if got := sample(m, "doorstep_messages_sent_total", "sender", "tenant"); got != 1 {
		t.Errorf("messages sent by the tenant: %v, want 1", got)
	}
	// Each new message is one write; sign-ins and read positions are more.
	if commits, writes := sample(m, "doorstep_db_commit_writes"), histogramSum(m, "doorstep_db_commit_writes"); commits < 1 || writes < 3 || writes < commits {
		t.Errorf("group commits: %v commits of %v writes; the three new messages alone were three writes", commits, writes)
	}
	if got := sample(m, "doorstep_db_commit_duration_seconds"); got != sample(m, "doorstep_db_commit_writes") {
		t.Errorf("%v commit durations for %v commits", got, sample(m, "doorstep_db_commit_writes"))
	}
	if got := sample(m, "doorstep_build_info", "version", backend.Version); got != 1 {
		t.Errorf("doorstep_build_info{version=%q} = %v", backend.Version, got)
	}
	if sample(m, "go_goroutines") == 0 {
		t.Error("the Go runtime's metrics are missing")
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := http.Get(metricsURL); err == nil {
		t.Error("the metrics listener still answers after shutdown")
	}
}

// Without -metrics-addr there are no metrics anywhere.
func TestMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	cfg, err := parseServeConfig(nil, env(map[string]string{"DOORSTEP_DATA_DIR": t.TempDir()}), io.Discard)
	if err != nil || cfg.MetricsAddr != "" {
		t.Errorf("metrics address %q by default, %v", cfg.MetricsAddr, err)
	}
	if _, err := parseServeConfig([]string{"-metrics-addr", "9090"}, env(map[string]string{"DOORSTEP_DATA_DIR": t.TempDir()}), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "-metrics-addr") {
		t.Errorf("-metrics-addr 9090: %v", err)
	}
}
