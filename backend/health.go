package backend

// Health is the answer of GET /healthz.
type Health struct {
	// Status is "ok" when the server can serve requests, "unavailable" otherwise.
	Status string `json:"status"`
	// Service is always ServiceName; clients use it to recognise a Doorstep server.
	Service string `json:"service"`
	// Version is the server's Version.
	Version string `json:"version"`
	// ServerID is a random identifier made once per database. The desktop app
	// keys its local cache by it, so two servers never share one cache.
	ServerID string `json:"server_id"`
	// Database is "ok" or a short reason why the database cannot be used,
	// such as "the database cannot write: the disk is full".
	Database string `json:"database"`
	// Files is "ok" or a short reason why uploaded files cannot be stored,
	// such as "the files directory cannot write: the disk is full"; empty
	// when the server keeps no files.
	Files string `json:"files,omitempty"`
}
