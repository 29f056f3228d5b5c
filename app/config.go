package app

import (
	"os"
	"strings"

	"doorstep/backend/datadir"
)

// DefaultServerURL is where `doorstep-server` listens by default.
const DefaultServerURL = "http://127.0.0.1:8765"

// Config is how the desktop process was started.
type Config struct {
	// ServerURL is the Doorstep server to talk to, as given; it is checked
	// when used so that a bad value shows up in the UI, not as a crash.
	ServerURL string
	// ShowVersion asks for the version only (--version): the process
	// prints it and exits without opening a window.
	ShowVersion bool
}

// LoadConfig reads the command line (-server URL or -server=URL, --version)
// and the environment (DOORSTEP_SERVER_URL); the command line wins. Other arguments
// are ignored rather than refused: platforms and the Wails dev runner add
// their own.
func LoadConfig(args []string, getenv func(string) string) Config {
	cfg := Config{ServerURL: DefaultServerURL}
	if v := getenv("DOORSTEP_SERVER_URL"); v != "" {
		cfg.ServerURL = v
	}
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if a == "-version" || a == "--version" {
			cfg.ShowVersion = true
		}
		if !strings.HasPrefix(a, "-") || name != "server" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if value != "" {
			cfg.ServerURL = value
		}
	}
	return cfg
}

// DataDir is where the app keeps its caches and the remembered account:
// DOORSTEP_APP_DATA_DIR, or the user's data directory ("Doorstep").
func DataDir(getenv func(string) string) (string, error) {
	if d := getenv("DOORSTEP_APP_DATA_DIR"); d != "" {
		return d, os.MkdirAll(d, 0o700)
	}
	return datadir.Ensure("Doorstep")
}
