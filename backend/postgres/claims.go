package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/jackc/pgx/v5"
)

// The notification sender's claims. Every server node runs a sender over
// the same outbox, and a notification must be sent by one of them only.
// DueNotifications claims what it returns (FOR UPDATE SKIP LOCKED, so two
// senders reading at once take different rows) for the store instance that
// read it, and the outcome frees it. A claim holds while its instance is
// alive, which PostgreSQL knows: each instance holds a session-level
// advisory lock of its own on a connection of its own, and a node that
// dies (or loses its connection) drops it, so its claims pass to the
// others at their next look, with no lease to wait out. Each instance
// still sees again what it claimed, so the sender's contract (the same
// notification stays due until its outcome is recorded) holds per node.

// claimClass is the first key of the claimers' advisory locks (the two-key
// form: the recipient locks of tx.go use the one-key form, which PostgreSQL
// keeps apart). "door" in ASCII.
const claimClass = 0x646f6f72

// liveClaimers is the ids of the store instances alive now: those holding
// their claim lock on this database.
var liveClaimers = fmt.Sprintf(`SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
	AND classid::bigint = %d AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, claimClass)

// claimer is this store instance's identity as a claimant, and the
// connection that holds its lock.
type claimer struct {
	mu   sync.Mutex
	conn *pgx.Conn
	id   int64 // 0 until the lock is first taken
}

// claimerID returns this instance's claimant id, taking its lock (on a
// connection of its own, out of the pool) when it has none or lost it. A
// new lock is a new id: claims made under a lost one may have passed to
// others already.
func (db *DB) claimerID(ctx context.Context) (int64, error) {
	c := &db.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		if _, err := c.conn.Exec(ctx, "SELECT 1"); err == nil {
			return c.id, nil
		}
		c.conn.Close(ctx)
		c.conn, c.id = nil, 0
	}
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("claim lock: %w", storageError(err))
	}
	conn := pc.Hijack()
	for range 10 {
		id := int64(rand.Int32N(math.MaxInt32) + 1)
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(claimClass), int32(id)).Scan(&ok); err != nil {
			conn.Close(ctx)
			return 0, fmt.Errorf("claim lock: %w", storageError(err))
		}
		if ok {
			c.conn, c.id = conn, id
			return id, nil
		}
	}
	conn.Close(ctx)
	return 0, fmt.Errorf("claim lock: no free id")
}

// currentClaimerID is this instance's claimant id without taking a lock
// (0: none taken yet).
func (db *DB) currentClaimerID() int64 {
	db.claims.mu.Lock()
	defer db.claims.mu.Unlock()
	return db.claims.id
}

// closeClaims gives the claim lock back: this instance's claims pass to
// the others.
func (db *DB) closeClaims() {
	db.claims.mu.Lock()
	defer db.claims.mu.Unlock()
	if db.claims.conn != nil {
		db.claims.conn.Close(context.Background())
		db.claims.conn, db.claims.id = nil, 0
	}
}

// claimDue claims, for claimant me, up to limit queued notifications due
// by now that are free, claimed by me, or claimed by an instance no longer
// alive, and returns their ids. Rows another sender is claiming at this
// moment are skipped, not waited for.
func (db *DB) claimDue(ctx context.Context, me int64, now any, limit int) ([]int64, error) {
	var ids []int64
	err := db.Update(ctx, func(tx *Tx) error {
		ids = ids[:0]
		rows, err := tx.Query(ctx, `WITH live AS (`+liveClaimers+`), due AS (
			SELECT n.id FROM notifications n
			WHERE n.state = 'queued' AND n.next_attempt_at <= $1
			  AND (n.claimed_by IS NULL OR n.claimed_by = $2 OR n.claimed_by NOT IN (SELECT * FROM live))
			ORDER BY n.next_attempt_at, n.id LIMIT $3
			FOR UPDATE OF n SKIP LOCKED)
			UPDATE notifications n SET claimed_by = $2 FROM due WHERE n.id = due.id RETURNING n.id`, now, me, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim due notifications: %w", err)
	}
	return ids, nil
}
