package client_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/sqlite"
)

// closedLoopSenders is scenario B: this many senders, one conversation
// each, every one sending its next message as soon as the previous one is
// acknowledged.
const closedLoopSenders = 100

// BenchmarkClosedLoop100 is scenario B through the whole server (HTTP on
// loopback, sessions, the rules, the group-commit writer, a real SQLite
// file with synchronous=FULL) beside its storage floor in the same run:
//
//   - server: closedLoopSenders tenants, each with its own conversation and
//     keep-alive connection (as many desktops would have), send b.N messages
//     in all; each is acknowledged only once its commit is on disk.
//   - raw-sqlite: the same number of closed-loop callers hand the rows a
//     message writes (the message, the conversation's last seq and chain
//     head, the sender's read position, an event for each of the two
//     recipients) to one goroutine that commits whatever is waiting as one
//     transaction, as the server's writer does: the same driver, schema and
//     pragmas, with no HTTP, no sessions and no rules.
//
// Each reports sends/s, the acknowledgement latency median and p99, errors
// (want 0), the CPU time of the whole test process per send (senders
// included), which the machine's other work disturbs far less than the
// rates, and the writes per group commit. server's sends/s over raw-sqlite's is how close the server comes
// to what the disk allows with one commit per batch.
func BenchmarkClosedLoop100(b *testing.B) {
	b.Run("server", benchClosedLoopServer)
	b.Run("raw-sqlite", benchClosedLoopRaw)
}

func benchClosedLoopServer(b *testing.B) {
	var commits commitCount
	w := newWorldIn(b, b.TempDir(), sqlite.WithCommitObserver(commits.observe))
	tenants, convs := w.addTenants(closedLoopSenders)
	// One keep-alive connection per sender: the default transport keeps
	// only two idle connections per host, which would make most sends
	// open a new TCP connection, as no real client does.
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: closedLoopSenders, MaxIdleConnsPerHost: closedLoopSenders}}
	b.Cleanup(hc.CloseIdleConnections)
	senders := make([]*client.Client, len(tenants))
	for i, t := range tenants {
		c, err := client.New(w.url, client.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		senders[i] = c.WithSession(t.Token())
	}
	ctx := context.Background()
	send := func(i int, n int64) error {
		_, err := senders[i].SendMessage(ctx, convs[i], backend.SendMessage{
			Key: fmt.Sprintf("loop-%09d", n), Text: "Is the plumber coming today?"})
		return err
	}
	runClosedLoop(b, &commits, send)
}

func benchClosedLoopRaw(b *testing.B) {
	floor := openRawFloor(b)
	defer floor.close()
	runClosedLoop(b, &floor.commits, floor.send)
}

// commitCount counts group commits and the writes they carried.
type commitCount struct{ commits, writes atomic.Int64 }

func (c *commitCount) observe(writes int, _ time.Duration) {
	c.commits.Add(1)
	c.writes.Add(int64(writes))
}

// runClosedLoop has closedLoopSenders goroutines call send, each as soon as
// its previous call returned, b.N times in all after one warm-up call each
// (connections opened, statements prepared), and reports the rate, the
// latency median and p99, the errors, the process's CPU time per call and
// how many writes each group commit carried.
func runClosedLoop(b *testing.B, commits *commitCount, send func(sender int, n int64) error) {
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	for i := range closedLoopSenders {
		wg.Go(func() {
			if err := send(i, -int64(i)-1); err != nil {
				b.Errorf("warm-up send: %v", err)
			}
		})
	}
	wg.Wait()
	lat := make([][]time.Duration, closedLoopSenders)
	b.ResetTimer()
	commits0, writes0 := commits.commits.Load(), commits.writes.Load()
	cpu0, start := processCPU(), time.Now()
	for i := range closedLoopSenders {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				t0 := time.Now()
				err := send(i, n)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sends/s")
	b.ReportMetric(ms(all[len(all)/2]), "ack-p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "ack-p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/send")
	if n := commits.commits.Load() - commits0; n > 0 {
		b.ReportMetric(float64(commits.writes.Load()-writes0)/float64(n), "writes/commit")
	}
	b.ReportMetric(0, "ns/op") // the rate says it; ns/op would only repeat it inverted
}

// rawFloor writes a message's rows with plain SQL through one group-commit
// goroutine: the floor the server's send path is measured against.
type rawFloor struct {
	db     *sql.DB
	writes chan rawWrite
	done   chan struct{}
	convs  []int64 // by sender
	tenant []int64 // by sender
	user   int64   // the landlord, the other recipient
	seq    []int64 // by sender: the last seq of its conversation

	commits commitCount
}

type rawWrite struct {
	sender int
	key    string
	answer chan error
}

// openRawFloor makes a server database (the real schema, by the store's own
// migrations) with closedLoopSenders one-to-one conversations, then opens
// it with the store's driver and pragmas and starts the committing
// goroutine.
func openRawFloor(b *testing.B) *rawFloor {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "raw.db")
	store, err := sqlite.Open(ctx, path, sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	org, err := store.CreateOrg(ctx, "Floor Rentals", "UTC")
	if err != nil {
		b.Fatal(err)
	}
	user, err := store.CreateUser(ctx, org, "floor@a.test", "Floor", "correct horse battery", true)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	// As sqlite.Open opens its writer.
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "128")
	db, err := sql.Open("sqlite3", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	f := &rawFloor{db: db, writes: make(chan rawWrite), done: make(chan struct{}), user: user,
		seq: make([]int64, closedLoopSenders)}
	for i := range closedLoopSenders {
		var tenant, conv int64
		err := db.QueryRow("INSERT INTO tenants (org_id, name, created_at) VALUES (?, ?, '2025-01-01T00:00:00Z') RETURNING id",
			org, fmt.Sprint("Floor ", i)).Scan(&tenant)
		if err == nil {
			err = db.QueryRow(`INSERT INTO conversations (org_id, tenant_id, created_by, created_at)
				VALUES (?, ?, ?, '2025-01-01T00:00:00Z') RETURNING id`, org, tenant, user).Scan(&conv)
		}
		if err == nil {
			_, err = db.Exec("INSERT INTO conversation_tenants (conversation_id, tenant_id) VALUES (?, ?)", conv, tenant)
		}
		if err != nil {
			b.Fatal(err)
		}
		f.tenant = append(f.tenant, tenant)
		f.convs = append(f.convs, conv)
	}
	go f.run()
	return f
}

func (f *rawFloor) send(sender int, n int64) error {
	w := rawWrite{sender: sender, key: fmt.Sprintf("loop-%09d", n), answer: make(chan error, 1)}
	f.writes <- w
	return <-w.answer
}

func (f *rawFloor) close() {
	close(f.writes)
	<-f.done
	f.db.Close()
}

// run gathers what is waiting (at most as many as the server's writer
// takes), writes it in one transaction and answers after the commit.
func (f *rawFloor) run() {
	defer close(f.done)
	for first := range f.writes {
		batch := []rawWrite{first}
	gather:
		for len(batch) < 512 {
			select {
			case w, ok := <-f.writes:
				if !ok {
					break gather
				}
				batch = append(batch, w)
			default:
				break gather
			}
		}
		err := f.commit(batch)
		f.commits.observe(len(batch), 0)
		for _, w := range batch {
			w.answer <- err
		}
	}
}

func (f *rawFloor) commit(batch []rawWrite) error {
	ctx := context.Background()
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, w := range batch {
		conv, tenant := f.convs[w.sender], f.tenant[w.sender]
		f.seq[w.sender]++
		seq := f.seq[w.sender]
		hash := sha256.Sum256([]byte(w.key))
		res, err := tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, seq, sender_user_id, sender_tenant_id, text, idem_key, created_at, urgent, chain_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, conv, seq, nil, tenant, "Is the plumber coming today?", w.key, now, false, hash[:])
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, "UPDATE conversations SET last_seq = ?, chain_head = ? WHERE id = ?", seq, hash[:], conv); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE conversation_tenants SET read_seq = ? WHERE conversation_id = ? AND tenant_id = ?", seq, conv, tenant); err != nil {
			return err
		}
		payload := fmt.Sprintf(`{"id":0,"type":"message","message":{"id":%d,"conversation_id":%d,"seq":%d,"sender":{"kind":"tenant","id":%d,"name":"Floor"},"text":"Is the plumber coming today?","files":[],"key":%q,"created_at":%q,"hash":"%x"},"created_at":%q}`,
			id, conv, seq, tenant, w.key, now, hash, now)
		for _, to := range [][2]any{{f.user, nil}, {nil, tenant}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (user_id, tenant_id, type, payload, created_at) VALUES (?, ?, 'message', ?, ?)`,
				to[0], to[1], payload, now); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
