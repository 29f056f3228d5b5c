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
	// Limits are what one request may carry on this server.
	Limits Limits `json:"limits"`
}

// Limits are the bounds the server puts on what a client sends, in the
// health answer so that a client can refuse early, in its own words, what
// the server would refuse anyway. A zero field was not said (a server from
// before Limits): WithDefaults fills it in.
type Limits struct {
	// MaxUploadBytes is the largest file the server accepts; 0 when it
	// keeps no files.
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// MaxFilesPerMessage is how many files one message may carry.
	MaxFilesPerMessage int `json:"max_files_per_message"`
	// MaxMessageRunes is the longest message text, in characters.
	MaxMessageRunes int `json:"max_message_runes"`
}

// DefaultMaxUploadBytes is the largest upload a server accepts unless its
// host says otherwise (doorstep-server -max-upload).
const DefaultMaxUploadBytes = 25 << 20

// WithDefaults returns l with every field it does not say (zero) set to the
// server's default.
func (l Limits) WithDefaults() Limits {
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if l.MaxFilesPerMessage <= 0 {
		l.MaxFilesPerMessage = MaxFilesPerMessage
	}
	if l.MaxMessageRunes <= 0 {
		l.MaxMessageRunes = MaxMessageRunes
	}
	return l
}
