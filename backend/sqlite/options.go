package sqlite

import "time"

// Option configures a DB when it is opened.
type Option func(*DB)

// WithBcryptCost sets the work factor of new password hashes (default
// bcrypt.DefaultCost). Tests pass bcrypt.MinCost to keep their fixtures
// fast under the race detector; a server keeps the default.
func WithBcryptCost(cost int) Option { return func(db *DB) { db.bcryptCost = cost } }

// WithCommitObserver has observe told about every group commit that made
// writes durable: how many writes the transaction carried (including any
// that failed and were rolled back to their savepoint) and how long it took
// from its begin to the end of the commit, which is what its callers waited
// for beyond the queue. It runs on the writer goroutine and must not block.
func WithCommitObserver(observe func(writes int, took time.Duration)) Option {
	return func(db *DB) { db.observeCommit = observe }
}
