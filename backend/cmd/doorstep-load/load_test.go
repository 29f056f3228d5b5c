package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend/demo"
	"doorstep/backend/httpapi"
	"doorstep/backend/importcsv"
	"doorstep/backend/servertest"
	"doorstep/internal/rawfanout"
)

// figures runs the load with args and returns its figures by scenario,
// target and unit.
func figures(t *testing.T, args ...string) map[key][]float64 {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("doorstep-load %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	samples, _, err := parseBench(&out)
	if err != nil {
		t.Fatal(err)
	}
	return samples
}

// expect checks one figure of a run: a value, or (with atLeast) a lower
// bound.
func expect(t *testing.T, got map[key][]float64, k key, want float64, atLeast bool) {
	t.Helper()
	v, ok := got[k]
	switch {
	case !ok || len(v) != 1:
		t.Errorf("%s %s of %s: %v, want one value", k.scenario, k.unit, k.target, v)
	case atLeast && v[0] < want:
		t.Errorf("%s %s of %s = %v, want at least %v", k.scenario, k.unit, k.target, v[0], want)
	case !atLeast && v[0] != want:
		t.Errorf("%s %s of %s = %v, want %v", k.scenario, k.unit, k.target, v[0], want)
	}
}

// The whole load at a small scale against a real Doorstep server: the
// import, setup's sessions and conversations, and every scenario, each
// delivery accounted for.
func TestLoadAgainstDoorstep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.StartDemo(t, httpapi.WithLimits(httpapi.Limits{})) // setup makes links quickly
	var csv bytes.Buffer
	if err := writeCSV(&csv, 4, 3); err != nil {
		t.Fatal(err)
	}
	rows, err := importcsv.Parse(&csv)
	if err != nil {
		t.Fatal(err)
	}
	org, err := srv.DB.OrgOfMainUser(ctx, demo.LandlordEmail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.DB.ImportDirectory(ctx, org, rows); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	figures(t, "setup", "-url", srv.URL, "-email", demo.LandlordEmail, "-password", demo.Password, "-state", state, "-rooms", "3")
	st, err := readState(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tenants) != 12 || st.Size != 3 || len(st.Groups) != 3 || len(st.Directs) != 3 {
		t.Fatalf("setup left %d tenants in units of %d, %d groups, %d one-to-one rooms; want 12, 3, 3, 3",
			len(st.Tenants), st.Size, len(st.Groups), len(st.Directs))
	}

	got := figures(t, "run", "-url", srv.URL, "-state", state, "-scenario", "A,B,C,storm", "-rooms", "3",
		"-rate-a", "30", "-rate-c", "30", "-senders", "3", "-duration", "1s", "-conns", "12",
		"-pid", fmt.Sprint(os.Getpid()), "-settle", "1s", "-closed-wait", "0s")
	for _, scenario := range []string{"A", "C"} {
		expect(t, got, key{scenario, "missed", "doorstep"}, 0, false)
		expect(t, got, key{scenario, "errors", "doorstep"}, 0, false)
		expect(t, got, key{scenario, "dropped", "doorstep"}, 0, false)
		expect(t, got, key{scenario, "delivery-p99-ms", "doorstep"}, 0.001, true)
	}
	expect(t, got, key{"A", "receivers", "doorstep"}, 3, false)
	expect(t, got, key{"C", "receivers", "doorstep"}, 9, false)
	expect(t, got, key{"C", "spread-p99-ms", "doorstep"}, 0, true)
	expect(t, got, key{"B", "sends/s", "doorstep"}, 1, true)
	expect(t, got, key{"B", "errors", "doorstep"}, 0, false)
	expect(t, got, key{"idle", "rss-MB", "doorstep"}, 1, true)
	expect(t, got, key{"idle", "dropped", "doorstep"}, 0, false)
	for _, unit := range []string{"missed", "duplicates", "misrouted", "errors"} {
		expect(t, got, key{"storm", unit, "doorstep"}, 0, false)
	}
	expect(t, got, key{"storm", "all-ready-ms", "doorstep"}, 0, true)
}

// The same scenarios against the raw fan-out floor.
func TestLoadAgainstTheRawFloor(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(rawfanout.Handler())
	defer srv.Close()
	got := figures(t, "run", "-raw", "-url", srv.URL, "-size", "4", "-scenario", "A,C,idle", "-rooms", "3",
		"-rate-a", "30", "-rate-c", "30", "-duration", "1s", "-conns", "12", "-settle", "1s")
	for _, scenario := range []string{"A", "C"} {
		expect(t, got, key{scenario, "missed", "raw"}, 0, false)
		expect(t, got, key{scenario, "errors", "raw"}, 0, false)
		expect(t, got, key{scenario, "delivery-p50-ms", "raw"}, 0.001, true)
	}
	expect(t, got, key{"C", "receivers", "raw"}, 12, false)
	expect(t, got, key{"idle", "dropped", "raw"}, 0, false)
}

func TestTableGivesMediansAndRatios(t *testing.T) {
	t.Parallel()
	lines := `goos: linux
BenchmarkServer/scenario=C/target=doorstep	1	100 ns/op	4 delivery-p99-ms	90 rss-MB
BenchmarkServer/scenario=C/target=doorstep	1	100 ns/op	6 delivery-p99-ms	110 rss-MB
BenchmarkServer/scenario=C/target=doorstep	1	100 ns/op	50 delivery-p99-ms	100 rss-MB
BenchmarkServer/scenario=C/target=raw-2	1	100 ns/op	2 delivery-p99-ms	40 rss-MB
BenchmarkOther	1	100 ns/op	7 delivery-p99-ms
`
	samples, order, err := parseBench(strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	writeTable(&out, samples, order)
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 3 {
		t.Fatalf("table:\n%s\nwant a header and 2 rows", out.String())
	}
	for i, want := range [][]string{{"C", "delivery-p99-ms", "6.00", "2.00", "3.00", "3", "≤ 5"}, {"C", "rss-MB", "100", "40.0", "2.50", "3", "≤ 120"}} {
		if got := strings.Fields(rows[i+1]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
	}
}
