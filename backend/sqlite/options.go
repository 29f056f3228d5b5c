package sqlite

// Option configures a DB when it is opened.
type Option func(*DB)

// WithBcryptCost sets the work factor of new password hashes (default
// bcrypt.DefaultCost). Tests pass bcrypt.MinCost to keep their fixtures
// fast under the race detector; a server keeps the default.
func WithBcryptCost(cost int) Option { return func(db *DB) { db.bcryptCost = cost } }
