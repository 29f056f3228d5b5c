package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Periodic jobs (pruning, the head signer, the new-message e-mail sweep)
// run on every server node, on timers of their own. Two nodes doing the
// same round at once would at best do the work twice and at worst race
// (two sweeps queueing the same e-mail). So a round first takes an
// advisory lock of its job, session-level, on a connection of its own: a
// node that finds it taken skips that round, and the lock dies with the
// connection, so when the node holding it dies the next round anywhere
// takes it, with nothing to wait out.
//
// Each node's timer fires on its own schedule, so the lock alone would let
// a job run once per node per interval, one round after another. A round
// that finishes records when it began (job_rounds, by the database's
// clock, which every node shares), and a node whose timer fires within
// most of an interval of that skips its round too.

// jobClass is the first key of the jobs' advisory locks (the two-key
// form, apart from the recipient locks of tx.go and the claim locks of
// claims.go by this first key). "jobs" in ASCII.
const jobClass = 0x6a6f6273

// jobKey is a job's second key: its name's hash.
func jobKey(job string) int32 {
	h := fnv.New32a()
	h.Write([]byte(job))
	return int32(h.Sum32())
}

// RunExclusive runs one round of the job named job unless another store
// instance on this database (another node) is running a round of it now,
// or a round of it that began less than nine tenths of every ago has
// finished (every 0: no such wait). ran says whether fn ran, and err is
// fn's error or the database's. A round that fails is not recorded, so
// the next node's timer tries again.
func (db *DB) RunExclusive(ctx context.Context, job string, every time.Duration, fn func(context.Context) error) (ran bool, err error) {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: job %s: %w", job, storageError(err))
	}
	// Out of the pool: the connection is closed after the round, which
	// is what frees the lock, and by Close, as a node that dies would.
	conn := pc.Hijack()
	db.jobsMu.Lock()
	if db.jobConns == nil {
		db.jobConns = map[*pgx.Conn]bool{}
	}
	db.jobConns[conn] = true
	db.jobsMu.Unlock()
	defer db.dropJobConn(conn)
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(jobClass), jobKey(job)).Scan(&locked); err != nil {
		return false, fmt.Errorf("postgres: job %s: %w", job, storageError(err))
	}
	if !locked {
		return false, nil
	}
	var started time.Time
	var recent bool
	if err := conn.QueryRow(ctx, `SELECT now(), coalesce((SELECT started_at > now() - make_interval(secs => $2)
		FROM job_rounds WHERE job = $1), false)`, job, (every-every/10).Seconds()).Scan(&started, &recent); err != nil {
		return false, fmt.Errorf("postgres: job %s: %w", job, storageError(err))
	}
	if recent {
		return false, nil
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO job_rounds (job, started_at) VALUES ($1, $2)
		ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at`, job, started); err != nil {
		return true, fmt.Errorf("postgres: job %s: recording the round: %w", job, storageError(err))
	}
	return true, nil
}

// dropJobConn closes a job's lock connection once its round is over. Only
// the round's own goroutine uses the pgx connection (it is not safe for
// concurrent use), so it is closed here even when Close has already cut
// it off underneath.
func (db *DB) dropJobConn(conn *pgx.Conn) {
	db.jobsMu.Lock()
	delete(db.jobConns, conn)
	db.jobsMu.Unlock()
	conn.Close(context.Background())
}

// closeJobs drops every job lock this instance holds, with rounds perhaps
// still running on them: it closes each connection's socket, which is safe
// while another goroutine uses the connection, and which PostgreSQL takes
// as it would a node that died, dropping the lock. The rounds' own
// goroutines then fail and close what is left (dropJobConn).
func (db *DB) closeJobs() {
	db.jobsMu.Lock()
	defer db.jobsMu.Unlock()
	for conn := range db.jobConns {
		conn.PgConn().Conn().Close()
	}
	db.jobConns = nil
}
