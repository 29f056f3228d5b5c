package postgres

import (
	"context"
	"fmt"
	"hash/fnv"

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
// instance on this database (another node) is running a round of it now;
// ran says whether fn ran, and err is fn's error or the lock's.
func (db *DB) RunExclusive(ctx context.Context, job string, fn func(context.Context) error) (ran bool, err error) {
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
	return true, fn(ctx)
}

// dropJobConn closes a job's lock connection, unless Close did already.
func (db *DB) dropJobConn(conn *pgx.Conn) {
	db.jobsMu.Lock()
	defer db.jobsMu.Unlock()
	if db.jobConns[conn] {
		delete(db.jobConns, conn)
		conn.Close(context.Background())
	}
}

// closeJobs drops every job lock this instance holds.
func (db *DB) closeJobs() {
	db.jobsMu.Lock()
	defer db.jobsMu.Unlock()
	for conn := range db.jobConns {
		conn.Close(context.Background())
	}
	db.jobConns = nil
}
