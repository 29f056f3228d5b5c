package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/servertest"
)

// The search benchmark's cache: 1,000,000 messages in 200 conversations,
// built once per run (in big transactions) in a directory of its own that
// is removed when the run ends (see benchCache for keeping it).
const (
	benchMessages      = 1_000_000
	benchConversations = 200
)

var (
	benchCacheOnce sync.Once
	benchCachePath string
	benchCacheErr  error
	benchCacheDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCacheDir != "" {
		os.RemoveAll(benchCacheDir)
	}
	os.Exit(code)
}

// benchWords are what the messages say: a few words every tenant uses
// often, and many rarer ones.
var benchWords = func() []string {
	words := []string{"the", "boiler", "sink", "leak", "kitchen", "rent", "lease", "heating", "window", "door", "key", "Thursday",
		"plumber", "café", "garage", "parking", "noise", "neighbour", "payment", "deposit", "inspection", "smoke", "alarm", "mould"}
	syllables := []string{"ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "de", "pa", "go", "ber", "lin", "tor", "shi"}
	r := rand.New(rand.NewPCG(1, 2))
	for len(words) < 5000 {
		w := ""
		for range 2 + r.IntN(3) {
			w += syllables[r.IntN(len(syllables))]
		}
		words = append(words, w)
	}
	return words
}()

// benchCache returns the path of the benchmark's cache, built on first
// use. DOORSTEP_SEARCH_BENCH_CACHE names a file to keep it in between
// runs (made when missing), so trying a query's plan again takes seconds.
func benchCache(b *testing.B) string {
	benchCacheOnce.Do(func() {
		if kept := os.Getenv("DOORSTEP_SEARCH_BENCH_CACHE"); kept != "" {
			if _, err := os.Stat(kept); err == nil {
				benchCachePath = kept
				return
			}
		}
		start := time.Now()
		benchCachePath, benchCacheErr = buildBenchCache(os.Getenv("DOORSTEP_SEARCH_BENCH_CACHE"))
		b.Logf("built the 1,000,000-message cache in %s", time.Since(start).Round(time.Second))
	})
	if benchCacheErr != nil {
		b.Fatal(benchCacheErr)
	}
	return benchCachePath
}

func buildBenchCache(path string) (string, error) {
	if path == "" {
		dir, err := os.MkdirTemp("", "doorstep-search-bench-")
		if err != nil {
			return "", err
		}
		benchCacheDir = dir
		path = filepath.Join(dir, "cache.db")
	}
	ctx := context.Background()
	c, err := cache.Open(ctx, path, "bench")
	if err != nil {
		return "", err
	}
	defer c.Close()
	t0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	perConv := benchMessages / benchConversations
	var convs []backend.Conversation
	for i := range benchConversations {
		id := int64(i + 1)
		convs = append(convs, backend.Conversation{ID: id, Kind: backend.ConversationDirect, Title: fmt.Sprint("Tenant ", id), TenantID: 1000 + id,
			Members: []backend.TenantRef{{ID: 1000 + id, Name: fmt.Sprint("Tenant ", id)}}, CreatedAt: t0, LastSeq: int64(perConv)})
	}
	if err := c.PutConversations(ctx, convs); err != nil {
		return "", err
	}
	r := rand.New(rand.NewPCG(3, 4))
	batch := make([]backend.Message, 0, 20_000)
	for i := range benchMessages {
		conv := int64(i%benchConversations + 1)
		n := 4 + r.IntN(16)
		text := "the"
		for range n {
			// Word k is picked about 1/(k+1) as often as the first.
			k := int(float64(len(benchWords)) * r.Float64() * r.Float64() * r.Float64())
			text += " " + benchWords[k]
		}
		if i%333_333 == 7 {
			text += " zanzibar"
		}
		m := backend.Message{ID: int64(i + 1), ConversationID: conv, Seq: int64(i/benchConversations + 1),
			Sender: backend.Sender{Kind: backend.KindTenant, ID: 1000 + conv, Name: fmt.Sprint("Tenant ", conv)},
			Text:   text, Key: fmt.Sprint("k", i), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if i%97 == 0 {
			m.Files = []backend.File{{ID: int64(i), Name: fmt.Sprintf("%s-%d.pdf", benchWords[i%len(benchWords)], i)}}
		}
		batch = append(batch, m)
		if len(batch) == cap(batch) {
			if err := c.PutMessages(ctx, batch); err != nil {
				return "", err
			}
			batch = batch[:0]
		}
	}
	return path, c.PutMessages(ctx, batch)
}

// benchQueries are searches as the landlord types them.
var benchQueries = []cache.SearchQuery{
	{Text: "boiler"},
	{Text: "the"},
	{Text: "zanzibar"},
	{Text: "bo"},
	{Text: "boi"},
	{Text: "leak kitchen"},
	{Text: `"the boiler"`},
	{Text: "cafe"},
	{Text: "rent", TenantID: 1017},
	{Text: "lease", HasFiles: true},
	{Text: "heating", From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)},
	{Text: "kalo"},
}

func percentile(d []time.Duration, p float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
}

// BenchmarkSearch searches 1,000,000 cached messages: each iteration runs
// every query of benchQueries 20 times through the cache's Search (what
// the UI's call does: the query, the join, snippets, grouping) and as the
// bare FTS5 MATCH of the same expression (the newest 100 rowids), on the
// same data in the same run. p50/p95 in milliseconds.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	c, err := cache.Open(ctx, benchCache(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	raw, err := sql.Open("sqlite3", "file:"+benchCachePath+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var goTimes, ftsTimes []time.Duration
	b.ResetTimer()
	for range b.N {
		for range 20 {
			for _, q := range benchQueries {
				q.Limit = 100
				start := time.Now()
				res, err := c.Search(ctx, q)
				goTimes = append(goTimes, time.Since(start))
				if err != nil || res.Count == 0 {
					b.Fatalf("%+v: %d found, %v", q, res.Count, err)
				}
				start = time.Now()
				rows, err := raw.QueryContext(ctx, "SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC LIMIT 100",
					cache.MatchExpression(q.Text))
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				ftsTimes = append(ftsTimes, time.Since(start))
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(goTimes, 0.5), "search-p50-ms")
	b.ReportMetric(percentile(goTimes, 0.95), "search-p95-ms")
	b.ReportMetric(percentile(ftsTimes, 0.5), "fts5-p50-ms")
	b.ReportMetric(percentile(ftsTimes, 0.95), "fts5-p95-ms")
}

// filterQueries are searches by filters alone, no words typed: a tenant's
// messages, every file, a unit's files, a month.
var filterQueries = []cache.SearchQuery{
	{TenantID: 1017},
	{HasFiles: true},
	{TenantID: 1017, HasFiles: true},
	{From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)},
}

// BenchmarkSearchFiltersOnly runs every query of filterQueries 20 times
// through the cache's Search on the 1,000,000-message cache of
// BenchmarkSearch. p50/p95 in milliseconds.
func BenchmarkSearchFiltersOnly(b *testing.B) {
	ctx := context.Background()
	c, err := cache.Open(ctx, benchCache(b), "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var times []time.Duration
	each := make([][]time.Duration, len(filterQueries))
	b.ResetTimer()
	for range b.N {
		for range 20 {
			for i, q := range filterQueries {
				q.Limit = 100
				start := time.Now()
				res, err := c.Search(ctx, q)
				took := time.Since(start)
				times, each[i] = append(times, took), append(each[i], took)
				if err != nil || res.Count == 0 {
					b.Fatalf("%+v: %d found, %v", q, res.Count, err)
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(times, 0.5), "filters-p50-ms")
	b.ReportMetric(percentile(times, 0.95), "filters-p95-ms")
	for i, name := range []string{"tenant", "files", "tenant-files", "month"} {
		b.ReportMetric(percentile(each[i], 0.5), name+"-p50-ms")
	}
}

// BenchmarkHistoryFill loads 20,000 messages (4 conversations of 5,000)
// from a real server on loopback into an empty cache, as the background
// fill does after sign-in: unthrottled (what the machine can do) and at
// the app's own pace.
func BenchmarkHistoryFill(b *testing.B) {
	s := servertest.StartDemo(b)
	landlord, me := s.Landlord(b)
	ctx := context.Background()
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var open []backend.Conversation
	for _, c := range convs {
		if !c.ReadOnly && len(open) < 4 {
			open = append(open, c)
		}
	}
	for _, c := range open {
		seedMessages(b, s, me.Principal, c.ID, 5000, func(i int) string { return fmt.Sprintf("message %d about the %s", i, benchWords[i%len(benchWords)]) })
	}
	if convs, err = landlord.Conversations(ctx); err != nil {
		b.Fatal(err)
	}
	for _, pace := range []struct {
		name  string
		pause time.Duration
	}{{"Unthrottled", -1}, {"AppPace", 0}} {
		b.Run(pace.name, func(b *testing.B) {
			var total int64
			var spent time.Duration
			for range b.N {
				c, err := cache.Open(ctx, filepath.Join(b.TempDir(), "cache.db"), "bench")
				if err != nil {
					b.Fatal(err)
				}
				if err := c.PutConversations(ctx, convs); err != nil {
					b.Fatal(err)
				}
				eng := engine.New(c, landlord, me.Principal, nil, nil, quiet)
				eng.HistoryPause = pace.pause
				start := time.Now()
				if err := eng.FillHistory(ctx); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
				p := eng.HistoryProgress()
				if !p.Done || p.Loaded != p.Total {
					b.Fatalf("fill ended at %+v", p)
				}
				total += p.Loaded
				c.Close()
			}
			b.ReportMetric(float64(total)/spent.Seconds(), "msgs/s")
		})
	}
}
