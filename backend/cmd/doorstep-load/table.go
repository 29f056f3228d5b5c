package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// result is one run of one scenario against one target.
type result struct {
	scenario, target string
	ops              int
	elapsed          time.Duration
	figures          []figure
}

type figure struct {
	value float64
	unit  string
}

func (r *result) add(v float64, unit string) { r.figures = append(r.figures, figure{v, unit}) }

// benchName names a result as benchstat reads it: with
// `benchstat -col /target` the targets become columns.
func benchName(scenario, target string) string {
	return "BenchmarkServer/scenario=" + scenario + "/target=" + target
}

// line is the result in Go's benchmark format.
func (r result) line() string {
	var b strings.Builder
	nsPerOp := float64(r.elapsed.Nanoseconds()) / float64(max(r.ops, 1))
	fmt.Fprintf(&b, "%s\t1\t%.0f ns/op", benchName(r.scenario, r.target), nsPerOp)
	for _, f := range r.figures {
		fmt.Fprintf(&b, "\t%s %s", strconv.FormatFloat(f.value, 'f', -1, 64), f.unit)
	}
	return b.String()
}

// ambitions are what the figures aim at (the table), shown beside
// the medians.
var ambitions = map[[2]string]string{
	{"A", "delivery-p99-ms"}:   "≤ 3",
	{"A", "missed"}:            "0",
	{"B", "sends/s"}:           "≥ 4000",
	{"B", "ack-p99-ms"}:        "≤ 25",
	{"B", "errors"}:            "0",
	{"C", "delivery-p99-ms"}:   "≤ 5",
	{"C", "rss-MB"}:            "≤ 120",
	{"C", "missed"}:            "0",
	{"idle", "rss-MB"}:         "≤ 600 (10,000 websockets)",
	{"idle", "rss-per-ws-MB"}:  "≤ 0.06",
	{"storm", "missed"}:        "0",
	{"storm", "duplicates"}:    "0",
	{"storm", "rss-closed-MB"}: "back near rss-empty-MB",
}

// tableCmd prints the medians of a file of benchmark lines as a table:
// one row per scenario and figure, Doorstep beside the raw floor and
// their ratio.
func tableCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-load table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: doorstep-load table FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	samples, order, err := parseBench(f)
	if err != nil {
		return err
	}
	writeTable(stdout, samples, order)
	return nil
}

// key is one figure of one scenario against one target.
type key struct{ scenario, unit, target string }

// parseBench reads the lines of BenchmarkServer out of a benchmark file,
// and the order their scenarios and figures first appear in.
func parseBench(r io.Reader) (map[key][]float64, [][2]string, error) {
	samples := map[key][]float64{}
	var order [][2]string
	seen := map[[2]string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "BenchmarkServer/") {
			continue
		}
		var scenario, target string
		for _, part := range strings.Split(fields[0], "/")[1:] {
			k, v, _ := strings.Cut(part, "=")
			// benchstat-style names may carry a -GOMAXPROCS suffix.
			if i := strings.LastIndexByte(v, '-'); i > 0 && k == "target" {
				if _, err := strconv.Atoi(v[i+1:]); err == nil {
					v = v[:i]
				}
			}
			switch k {
			case "scenario":
				scenario = v
			case "target":
				target = v
			}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %w", sc.Text(), err)
			}
			unit := fields[i+1]
			if unit == "ns/op" {
				continue
			}
			k := key{scenario, unit, target}
			samples[k] = append(samples[k], v)
			if row := [2]string{scenario, unit}; !seen[row] {
				seen[row] = true
				order = append(order, row)
			}
		}
	}
	return samples, order, sc.Err()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func writeTable(w io.Writer, samples map[key][]float64, order [][2]string) {
	fmt.Fprintf(w, "%-6s %-17s %12s %10s %9s %6s  %s\n", "", "figure", "doorstep", "raw", "× raw", "runs", "ambition")
	for _, row := range order {
		d, hasD := samples[key{row[0], row[1], "doorstep"}]
		r, hasR := samples[key{row[0], row[1], "raw"}]
		cell := func(v []float64, ok bool) string {
			if !ok {
				return "—"
			}
			return strconv.FormatFloat(median(v), 'f', decimals(median(v)), 64)
		}
		ratio := "—"
		if hasD && hasR && median(r) != 0 {
			ratio = fmt.Sprintf("%.2f", median(d)/median(r))
		}
		fmt.Fprintf(w, "%-6s %-17s %12s %10s %9s %6d  %s\n", row[0], row[1], cell(d, hasD), cell(r, hasR), ratio, len(d), ambitions[row])
	}
}

// decimals gives a figure three significant digits or so.
func decimals(v float64) int {
	switch v = abs(v); {
	case v == 0 || v >= 100:
		return 0
	case v >= 10:
		return 1
	case v >= 1:
		return 2
	default:
		return 3
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
