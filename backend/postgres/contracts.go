package postgres

import "doorstep/backend"

// The contracts of backend the PostgreSQL store keeps; backend/storetest
// checks how it keeps them (see TestContract).
var (
	_ backend.Store             = (*DB)(nil)
	_ backend.Accounts          = (*DB)(nil)
	_ backend.NotificationQueue = (*DB)(nil)
	_ backend.Maintenance       = (*DB)(nil)
	_ backend.CommitHooks       = (*DB)(nil)
	_ backend.ChainSigning      = (*DB)(nil)
)
